using Microsoft.AspNetCore.Http.HttpResults;
using Marten;
using PositionLedger.Infrastructure;
using PositionLedger.Sources;
using Wolverine.Http;

namespace PositionLedger.Statements;

/// <summary>A statement's content as the API shows it: stance as its word, statedAt with its own precision.</summary>
public sealed record ContentView(
    string Party,
    string Issue,
    string Stance,
    string Speaker,
    string Quote,
    string StatedAt,
    SourceView Source,
    string[] Conditions,
    ClaimedBy? ClaimedBy,
    string EvidenceKind,
    Evidence? Evidence)
{
    public static ContentView Of(StatementContent c) => new(
        c.Party, c.Issue, c.Stance.Word(), c.Speaker, c.Quote, Instants.Format(c.StatedAt, c.StatedOnDate),
        new SourceView(c.Source.Outlet, c.Source.Url, c.Source.PublishedAt is { } p ? Instants.Format(p, false) : null),
        c.Conditions, c.ClaimedBy, c.EvidenceKind, c.Evidence);
}

/// <summary>A revision as served; under review, recordedBy is the approving verifier and proposedBy the author.</summary>
public sealed record RevisionView(
    long Version,
    string Kind,
    long Sequence,
    DateTimeOffset RecordedAt,
    string? RecordedBy,
    string? CorrelationId,
    string? IdempotencyKey,
    string? Reason,
    string[] ChangedFields,
    ContentView? Content,
    string? ProposedBy = null);

/// <summary>The current content at the top level (the shape a correction sends back), then the history.</summary>
public sealed record StatementView(
    string Id,
    string Party,
    string Issue,
    string Stance,
    string Speaker,
    string Quote,
    string StatedAt,
    SourceView Source,
    string[] Conditions,
    ClaimedBy? ClaimedBy,
    string EvidenceKind,
    Evidence? Evidence,
    long Version,
    bool Retracted,
    IReadOnlyList<RevisionView> Revisions)
{
    public static StatementView Of(Statement statement)
    {
        var c = ContentView.Of(statement.Content);
        return new(
            statement.Id, c.Party, c.Issue, c.Stance, c.Speaker, c.Quote, c.StatedAt, c.Source, c.Conditions, c.ClaimedBy,
            c.EvidenceKind, c.Evidence,
            statement.Version,
            statement.Retracted,
            [.. statement.Revisions.Select(r => new RevisionView(
                r.Version, r.Kind, r.Sequence, r.RecordedAt, r.RecordedBy, r.CorrelationId, r.IdempotencyKey, r.Reason, r.ChangedFields,
                r.Content is null ? null : ContentView.Of(r.Content), r.ProposedBy))]);
    }
}

public static class GetStatementEndpoint
{
    [WolverineGet("/api/statements/{id}", OperationId = "getStatement")]
    [Tags(ApiTags.Statements)]
    [EndpointSummary("Read a statement and its history")]
    [EndpointDescription("The statement's current content, its version, whether it is retracted, and every revision with its "
        + "record time, who recorded it and why.")]
    [Parameter("id", "The statement's id (a GUID).", Value = ParameterValue.StatementId)]
    public static async Task<Results<Ok<StatementView>, ProblemHttpResult>> Get(string id, IQuerySession session, CancellationToken ct)
    {
        var statement = Guid.TryParse(id, out var guid)
            ? await session.Events.AggregateStreamAsync<Statement>(guid.ToString(), token: ct)
            : null;
        if (statement is null) return TypedResults.Problem(Problems.NotFound($"No statement '{id}' exists."));
        return TypedResults.Ok(StatementView.Of(statement));
    }
}
