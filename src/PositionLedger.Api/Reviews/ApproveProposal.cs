using FluentValidation;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Reviews;

/// <summary>A verifier's approval: the proposed change is appended to the statement now, so its record time is now.</summary>
public sealed record ApproveProposal(string? Note)
{
    public sealed class Validator : AbstractValidator<ApproveProposal>
    {
        public Validator() => RuleFor(c => c.Note).Text(Rules.NameMaxLength * 5, prose: true).When(c => c.Note is not null);
    }
}

public sealed record ProposalDecided(string Proposal, string Status, string Id, long? Version);

public static class ApproveProposalEndpoint
{
    private static readonly ApproveProposal.Validator Validator = new();

    public static async Task<IEventStream<Proposal>?> LoadAsync(string proposal, IDocumentSession session, CancellationToken ct) =>
        Guid.TryParse(proposal, out var id) ? await session.Events.FetchForWriting<Proposal>(Proposal.StreamKey(id), ct) : null;

    public static async Task<(ProblemDetails, IEventStream<Statement>?)> ValidateAsync(
        string proposal, ApproveProposal command, IEventStream<Proposal>? stream, IDocumentSession session, CancellationToken ct)
    {
        var problem = ReviewRules.CheckDecidable(stream?.Aggregate, proposal, session.LastModifiedBy);
        if (problem.IsProblem()) return (problem, null);
        problem = Problems.Check(Validator, command);
        if (problem.IsProblem()) return (problem, null);
        // Fetched for writing: an approval racing another change of the statement fails on its version (409), never both.
        var statement = await session.Events.FetchForWriting<Statement>(stream!.Aggregate!.Change.StatementId.ToString(), ct);
        var current = statement.Aggregate;
        return (ReviewRules.CheckCurrent(stream.Aggregate.Change, current?.Version, current?.Retracted ?? false), statement);
    }

    [WolverinePost("/api/reviews/{proposal}/approve", OperationId = "approveProposal")]
    [Tags(ApiTags.Reviews)]
    [EndpointSummary("Approve a proposal")]
    [EndpointDescription("Appends the proposed change to its statement now (its record time is the approval's), with the "
        + "proposer and the approver on the record. Needs a verifier key other than the proposer's: 403 for one's own proposal, "
        + "409 when it was decided already or the statement has moved on since it was proposed.")]
    [Parameter("proposal", "The proposal's id (a GUID).", Value = ParameterValue.StatementId)]
    [RequestExample("""{ "note": "Checked against the Kremlin transcript." }""")]
    public static Ok<ProposalDecided> Post(
        ApproveProposal command, IEventStream<Proposal> stream, IEventStream<Statement> statement, IDocumentSession session)
    {
        var change = stream.Aggregate!.Change;
        session.SetHeader(Editorial.ProposedByHeader, change.ProposedBy);
        statement.AppendOne(ReviewRules.ChangeOf(change));
        stream.AppendOne(new ProposalApproved(change.ProposalId, session.LastModifiedBy ?? "", command.Note));
        return TypedResults.Ok(new ProposalDecided(
            change.ProposalId.ToString(), ProposalStatuses.Approved, change.StatementId.ToString(),
            (statement.Aggregate?.Version ?? 0) + 1));
    }
}
