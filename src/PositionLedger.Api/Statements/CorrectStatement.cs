using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using FluentValidation;
using Marten;
using JasperFx.Events;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Reviews;
using PositionLedger.Sources;
using Wolverine.Http;

namespace PositionLedger.Statements;

/// <summary>
/// An editorial correction: any statement field may change (party, issue and statedAt included, which
/// moves the statement). Fields left out keep their value; <c>"claimedBy": null</c> turns a claim into
/// the party's own statement.
/// </summary>
public sealed record CorrectStatement(
    long? ExpectedVersion,
    string? Reason,
    string? Party,
    string? Issue,
    string? Stance,
    string? Speaker,
    string? Quote,
    string? StatedAt,
    SourceInput? Source,
    string[]? Conditions,
    JsonElement ClaimedBy,
    EvidenceInput? Evidence = null)
{
    public sealed class Validator : AbstractValidator<CorrectStatement>
    {
        public Validator()
        {
            RuleFor(c => c.ExpectedVersion).NotNull().GreaterThan(0);
            RuleFor(c => c.Reason).Text(Rules.NameMaxLength * 5, prose: true);
            RuleFor(c => c.ClaimedBy).Must(e => e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object)
                .WithMessage("'claimedBy' must be an object {party, speaker} or null.");
        }
    }

    /// <summary>
    /// <c>claimedBy</c> is held as raw JSON (absent, null and an object mean three things), so it is read
    /// here by the same strict rules as the rest of the body; what cannot be read is named by its path.
    /// </summary>
    public ProblemDetails CheckClaimedByShape()
    {
        if (ClaimedBy.ValueKind != JsonValueKind.Object) return WolverineContinue.NoProblems;
        try
        {
            ClaimedBy.Deserialize<ClaimedByInput>(JsonInput.Strict);
            return WolverineContinue.NoProblems;
        }
        catch (JsonException e)
        {
            var field = JsonProblems.FieldOf(e.Message, e.Path);
            var named = field == "body" ? "claimedBy" : $"claimedBy.{field}";
            return Problems.Invalid(named, JsonProblems.Describe(e.Message, named, typeof(CorrectStatement)));
        }
    }

    /// <summary>The statement as it would read after this correction, in the shape a new statement is validated in.</summary>
    public StateStatement AppliedTo(StatementContent current)
    {
        var was = StatementInputs.Of(current);
        return new StateStatement(
            Party ?? was.Party,
            Issue ?? was.Issue,
            Stance ?? was.Stance,
            Speaker ?? was.Speaker,
            // New evidence without a quote: the quote is its first anchor's words again.
            Quote ?? (Evidence is null ? was.Quote : null),
            StatedAt ?? was.StatedAt,
            Source ?? was.Source,
            Conditions ?? was.Conditions,
            ClaimedBy.ValueKind switch
            {
                JsonValueKind.Undefined => was.ClaimedBy,
                JsonValueKind.Object => ClaimedBy.Deserialize<ClaimedByInput>(JsonInput.Strict),
                _ => null,
            },
            Evidence ?? was.Evidence);
    }
}

public static class CorrectStatementEndpoint
{
    private static readonly CorrectStatement.Validator Validator = new();

    // Loaded by hand rather than with [WriteAggregate]: the id is normalised as a GUID, and 404 comes before 400 and 409.
    public static async Task<IEventStream<Statement>?> LoadAsync(string id, IDocumentSession session, CancellationToken ct) =>
        Guid.TryParse(id, out var guid) ? await session.Events.FetchForWriting<Statement>(guid.ToString(), ct) : null;

    /// <summary>Every check, in order, and the decision: the event to append once nothing stands in its way.</summary>
    public static async Task<(ProblemDetails, StatementCorrected?)> ValidateAsync(
        string id, CorrectStatement command, IEventStream<Statement>? stream, IDocumentSession session,
        StateStatement.Validator statementRules, StatementReferences references, SourceTexts texts, CancellationToken ct)
    {
        if (stream?.Aggregate is not { } statement) return (Problems.NotFound($"No statement '{id}' exists."), null);
        var problem = Problems.Check(Validator, command);
        if (problem.IsProblem()) return (problem, null);
        problem = command.CheckClaimedByShape();
        if (problem.IsProblem()) return (problem, null);
        problem = StatementRules.CheckWritable(statement, command.ExpectedVersion!.Value);
        if (problem.IsProblem()) return (problem, null);

        var corrected = command.AppliedTo(statement.Content);
        problem = Problems.Check(statementRules, corrected);
        if (problem.IsProblem()) return (problem, null);
        var (anchoring, evidence) = await EvidenceAnchoring.PlaceAsync(texts, session, corrected.Evidence, ct);
        if (anchoring.IsProblem()) return (anchoring, null);
        var correction = Decide(statement, command, evidence);
        if (correction.ChangedFields.Length == 0)
            return (Problems.Invalid("body", "The correction changes no field of the statement."), null);
        return (await references.CheckAsync(session, corrected.Party!, corrected.Issue!, corrected.ClaimedBy?.Party, ct), correction);
    }

    [WolverinePost("/api/statements/{id}/corrections", OperationId = "correctStatement")]
    [Tags(ApiTags.Statements)]
    [EndpointSummary("Correct a statement")]
    [EndpointDescription("Changes any field of a statement (party, issue and statedAt included, which moves it); fields left out "
        + "keep their value, and \"claimedBy\": null turns a claim into the party's own statement. expectedVersion is the version "
        + "you read: 409 if the statement has changed since. Under review, 202 with the proposal that waits for a verifier. "
        + "Needs an editor key.")]
    [Parameter("id", "The statement's id (a GUID).", Value = ParameterValue.StatementId)]
    [RequestExample("""
        { "expectedVersion": 1, "reason": "The quote was cut short.", "quote": "We are for it, but there are nuances, and they must be settled." }
        """)]
    public static Results<Ok<StatementAppended>, Accepted<ProposalAccepted>> Post(
        CorrectStatement command, StatementCorrected correction, IEventStream<Statement> stream, Editorial editorial,
        IDocumentSession session)
    {
        if (editorial.RequireReview)
            return Proposals.Propose(session, correction.StatementId, stream.Aggregate!.Version, corrected: correction);
        stream.AppendOne(correction);
        return TypedResults.Ok(new StatementAppended(stream.Aggregate!.Id, stream.Aggregate.Version + 1));
    }

    /// <summary>The correction as an event: the whole new content and the names of the fields it changed.</summary>
    /// <param name="placed">The evidence the correction gives, placed in its sources; none given keeps the statement's.</param>
    public static StatementCorrected Decide(Statement current, CorrectStatement command, Evidence? placed = null)
    {
        var was = current.Content;
        var now = command.AppliedTo(was).ToContent(command.Evidence is null ? was.Evidence : placed);
        var changed = new List<string>();
        if (now.Party != was.Party) changed.Add("party");
        if (now.Issue != was.Issue) changed.Add("issue");
        if (now.Stance != was.Stance) changed.Add("stance");
        if (now.Speaker != was.Speaker) changed.Add("speaker");
        if (now.Quote != was.Quote) changed.Add("quote");
        if (now.StatedAt != was.StatedAt || now.StatedOnDate != was.StatedOnDate) changed.Add("statedAt");
        if (now.Source != was.Source) changed.Add("source");
        if (!now.Conditions.SequenceEqual(was.Conditions)) changed.Add("conditions");
        if (now.ClaimedBy != was.ClaimedBy) changed.Add("claimedBy");
        if (now.Evidence is null != was.Evidence is null || (now.Evidence is not null && !now.Evidence.SameAs(was.Evidence)))
            changed.Add("evidence");
        return new StatementCorrected(Guid.Parse(current.Id), now, [.. changed], command.Reason!);
    }
}

