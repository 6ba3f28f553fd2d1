using Microsoft.AspNetCore.Http.HttpResults;
using FluentValidation;
using Marten;
using JasperFx.Events;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Reviews;
using Wolverine.Http;

namespace PositionLedger.Statements;

/// <summary>Withdraws a statement from the record from now on; what the ledger said before stays answerable.</summary>
public sealed record RetractStatement(long? ExpectedVersion, string? Reason)
{
    public sealed class Validator : AbstractValidator<RetractStatement>
    {
        public Validator()
        {
            RuleFor(c => c.ExpectedVersion).NotNull().GreaterThan(0);
            RuleFor(c => c.Reason).Text(Rules.NameMaxLength * 5, prose: true);
        }
    }
}

public static class RetractStatementEndpoint
{
    private static readonly RetractStatement.Validator Validator = new();

    // Loaded by hand rather than with [WriteAggregate]: the id is normalised as a GUID, and 404 comes before 400 and 409.
    public static async Task<IEventStream<Statement>?> LoadAsync(string id, IDocumentSession session, CancellationToken ct) =>
        Guid.TryParse(id, out var guid) ? await session.Events.FetchForWriting<Statement>(guid.ToString(), ct) : null;

    public static ProblemDetails Validate(string id, RetractStatement command, IEventStream<Statement>? stream)
    {
        if (stream?.Aggregate is not { } statement) return Problems.NotFound($"No statement '{id}' exists.");
        var problem = Problems.Check(Validator, command);
        return problem.IsProblem() ? problem : StatementRules.CheckWritable(statement, command.ExpectedVersion!.Value);
    }

    [WolverinePost("/api/statements/{id}/retraction", OperationId = "retractStatement")]
    [Tags(ApiTags.Statements)]
    [EndpointSummary("Retract a statement")]
    [EndpointDescription("Withdraws a statement from the record from now on; answers as of an earlier knownAt still see it. "
        + "expectedVersion is the version you read: 409 if the statement has changed since. Under review, 202 with the proposal "
        + "that waits for a verifier. Needs an editor key.")]
    [Parameter("id", "The statement's id (a GUID).", Value = ParameterValue.StatementId)]
    [RequestExample("""{ "expectedVersion": 1, "reason": "Recorded twice." }""")]
    public static Results<Ok<StatementAppended>, Accepted<ProposalAccepted>> Post(
        RetractStatement command, IEventStream<Statement> stream, Editorial editorial, IDocumentSession session)
    {
        var retracted = new StatementRetracted(Guid.Parse(stream.Aggregate!.Id), command.Reason!);
        if (editorial.RequireReview)
            return Proposals.Propose(session, retracted.StatementId, stream.Aggregate.Version, retracted: retracted);
        stream.AppendOne(retracted);
        return TypedResults.Ok(new StatementAppended(stream.Aggregate.Id, stream.Aggregate.Version + 1));
    }
}
