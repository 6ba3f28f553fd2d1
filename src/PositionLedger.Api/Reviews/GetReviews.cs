using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Reviews;

/// <summary>
/// A proposal as the queue shows it: what it would change (the statement's content now and after, and the fields that
/// differ), who proposed it and when, its decision, and whether the caller proposed it (one cannot decide one's own).
/// </summary>
public sealed record ReviewItem(
    string Proposal, string Kind, string Id, long BaseVersion, string Status, string ProposedBy, DateTimeOffset ProposedAt,
    string? DecidedBy, DateTimeOffset? DecidedAt, string? Note, StatementContent? Before, StatementContent? After,
    string[] ChangedFields, string? Reason, bool Mine);

public static class GetReviewsEndpoint
{
    public const int MaxItems = 500;

    [WolverineGet("/api/reviews", OperationId = "listReviews")]
    [Tags(ApiTags.Reviews)]
    [EndpointSummary("The review queue")]
    [EndpointDescription("Proposals of one status (default pending), oldest first, at most 500, each with what it would change. "
        + "Needs an editor or verifier key.")]
    [OneOfParameter("status", "pending (the default), approved or rejected.", [ProposalStatuses.Pending, ProposalStatuses.Approved,
        ProposalStatuses.Rejected], Example = ProposalStatuses.Pending)]
    public static async Task<Results<Ok<List<ReviewItem>>, ProblemHttpResult>> Get(
        string? status, IQuerySession session, HttpContext context, CancellationToken ct)
    {
        status ??= ProposalStatuses.Pending;
        if (!ProposalStatuses.All.Contains(status))
            return TypedResults.Problem(Problems.Invalid("status", $"'status' must be one of: {string.Join(", ", ProposalStatuses.All)}."));
        var proposals = await OfStatusAsync(session, status, ct);
        var items = new List<ReviewItem>(proposals.Count);
        foreach (var proposal in proposals) items.Add(await ItemAsync(session, proposal, context.User.Identity?.Name, ct));
        return TypedResults.Ok(items);
    }

    /// <summary>The queue: proposals of one status, oldest first, at most <see cref="MaxItems"/>; shared with the reviews command.</summary>
    public static async Task<IReadOnlyList<Proposal>> OfStatusAsync(IQuerySession session, string status, CancellationToken ct) =>
        await session.Query<Proposal>().Where(p => p.Status == status).OrderBy(p => p.ProposedAt).Take(MaxItems).ToListAsync(ct);

    [WolverineGet("/api/reviews/{proposal}", OperationId = "getReview")]
    [Tags(ApiTags.Reviews)]
    [EndpointSummary("One proposal")]
    [EndpointDescription("A proposal with what it would change and its decision. Needs an editor or verifier key.")]
    [Parameter("proposal", "The proposal's id (a GUID).", Value = ParameterValue.StatementId)]
    public static async Task<Results<Ok<ReviewItem>, ProblemHttpResult>> GetOne(
        string proposal, IQuerySession session, HttpContext context, CancellationToken ct)
    {
        var found = Guid.TryParse(proposal, out var id) ? await session.LoadAsync<Proposal>(Proposal.StreamKey(id), ct) : null;
        return found is null
            ? TypedResults.Problem(Problems.NotFound($"No proposal '{proposal}' exists."))
            : TypedResults.Ok(await ItemAsync(session, found, context.User.Identity?.Name, ct));
    }

    private static async Task<ReviewItem> ItemAsync(IQuerySession session, Proposal proposal, string? caller, CancellationToken ct)
    {
        var change = proposal.Change;
        var current = change.Stated is null
            ? await session.Events.AggregateStreamAsync<Statement>(change.StatementId.ToString(), token: ct)
            : null;
        var after = change.Stated?.Content ?? change.Corrected?.Corrected;
        return new ReviewItem(
            proposal.Id[Proposal.StreamPrefix.Length..], proposal.Kind, change.StatementId.ToString(), change.BaseVersion, proposal.Status,
            change.ProposedBy, proposal.ProposedAt, proposal.DecidedBy, proposal.DecidedAt, proposal.Note, current?.Content, after,
            change.Corrected?.ChangedFields ?? [], change.Corrected?.Reason ?? change.Retracted?.Reason, change.ProposedBy == caller);
    }
}
