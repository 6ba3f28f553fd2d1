using Microsoft.AspNetCore.Http.HttpResults;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PositionLedger.Infrastructure;
using Wolverine.Http;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;

namespace PositionLedger.Timeline;

/// <param name="EvidenceKinds">Only statements of these kinds (null: every kind).</param>
/// <param name="NewestFirst">Latest statedAt first: how the page's replay finds the change point before a moment.</param>
public sealed record TimelineFilter(
    string? Party, string? Issue, DateTimeOffset? From, DateTimeOffset? To, string[]? EvidenceKinds = null, bool NewestFirst = false);

public sealed record TimelinePage(DateTimeOffset KnownAt, IReadOnlyList<StatementItem> Items, string? Next);

/// <summary>
/// Statements in statedAt order, claims included, as the ledger knew them at knownAt. The cursor pins
/// knownAt and the last position, so paging through never skips or repeats an item even while editors
/// keep writing.
/// </summary>
public static class GetTimelineEndpoint
{
    public const int MaxLimit = 500;
    private const string OldestFirst = "oldest-first", NewestFirst = "newest-first";
    private static readonly string[] Orders = [OldestFirst, NewestFirst];

    [WolverineGet("/api/timeline", OperationId = "getTimeline")]
    [Tags(ApiTags.Timeline)]
    [EndpointSummary("Statements in the order they were made")]
    [EndpointDescription("Statements and claims in statedAt order, as known at knownAt, optionally of one party and one issue "
        + "and within [from, to]. A page ends with next, a cursor for the following page that pins knownAt, so paging "
        + "never skips or repeats an item while editors keep writing.")]
    [Parameter("party", "Only this party's statements (its slug).", Value = ParameterValue.Slug, Example = "russia")]
    [Parameter("issue", "Only statements on this issue (its slug).", Value = ParameterValue.Slug)]
    [Parameter("from", "Only statements made at or after this moment.", Value = ParameterValue.DateOrInstant)]
    [Parameter("to", "Only statements made up to this moment; a date means through the end of that UTC day.",
        Value = ParameterValue.DateOrInstant)]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time; default: now. A cursor brings its own.", Value = ParameterValue.DateOrInstant)]
    [OneOfParameter("order", "oldest-first (the default) or newest-first, by statedAt. A cursor brings its own.",
        [OldestFirst, NewestFirst],
        Example = NewestFirst)]
    [Parameter("limit", "Items per page; default 100.",
        Value = ParameterValue.WholeNumber, Minimum = 1, Maximum = MaxLimit, Example = "20")]
    [Parameter("after", "The next value of the previous page.")]
    public static async Task<Results<Ok<TimelinePage>, ProblemHttpResult>> Get(
        string? party, string? issue, string? from, string? to, string? knownAt, string? limit, string? after, string? evidence,
        string? order, string? view, PendingPreview previews, NpgsqlDataSource db, HttpContext context, RevisionTable table, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset? fromValue = null, toValue = null;
        var knownAtValue = clock.GetUtcNow();
        if (from is not null)
        {
            if (Instants.TryParse(from, out var f, out _)) fromValue = f;
            else errors["from"] = [$"'from' must be {Instants.FormatHint}."];
        }
        if (to is not null)
        {
            if (Instants.TryParseUpperBound(to, out var t)) toValue = t;
            else errors["to"] = [$"'to' must be {Instants.FormatHint}."];
        }
        if (knownAt is not null && !Instants.TryParseUpperBound(knownAt, out knownAtValue))
            errors["knownAt"] = [$"'knownAt' must be {Instants.FormatHint}."];
        var size = QueryValues.Limit(limit, 100, MaxLimit, errors);
        TimelineCursor? cursor = null;
        if (after is not null && (cursor = TimelineCursor.Parse(after)) is null)
            errors["after"] = ["'after' must be the 'next' value of a previous page."];
        if (EvidenceKinds.TryReadFilter(evidence, out var kinds) is HttpValidationProblemDetails { Errors: var kindErrors })
            foreach (var (key, value) in kindErrors) errors[key] = value;
        if (order is not null && !Orders.Contains(order, StringComparer.Ordinal))
            errors["order"] = [$"'order' must be one of: {string.Join(", ", Orders)}."];
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));
        var problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (cursor is not null) knownAtValue = cursor.KnownAt;

        var filter = new TimelineFilter(party, issue, fromValue, toValue, kinds, cursor?.NewestFirst ?? order == NewestFirst);
        await using var connection = await previews.OpenForAsync(context, preview, knownAtValue, ct);
        return TypedResults.Ok(await PageAsync(db, table, filter, knownAtValue, cursor?.Position, size, ct, connection));
    }

    /// <summary>
    /// One page of the timeline after a position (statedAt, first sequence) in the filter's order; shared with the replay
    /// command. Either order walks the (stated_at, statement_seq) index, forwards or backwards.
    /// </summary>
    public static async Task<TimelinePage> PageAsync(
        NpgsqlDataSource db, RevisionTable table, TimelineFilter filter, DateTimeOffset knownAt,
        (DateTimeOffset StatedAt, long StatementSeq)? after, int size, CancellationToken ct, NpgsqlConnection? replica = null)
    {
        var (beyond, direction) = filter.NewestFirst ? ("<", "desc") : (">", "asc");
        await using var command = db.CommandOn(replica, $"""
            select {RevisionRows.Columns}
            from {table.QualifiedName} r
            where {RevisionRows.EffectiveAtKnownAt}
              and (@party::text is null or r.party = @party)
              and (@issue::text is null or r.issue = @issue)
              and (@from::timestamptz is null or r.stated_at >= @from)
              and (@to::timestamptz is null or r.stated_at <= @to)
              and (r.stated_at, r.statement_seq) {beyond} (@after_at, @after_seq)
              and r.evidence_kind = any(@kinds)
            order by r.stated_at {direction}, r.statement_seq {direction}
            limit @limit
            """);
        command.Parameters.Add(new NpgsqlParameter<string?>("party", filter.Party));
        command.Parameters.Add(new NpgsqlParameter<string?>("issue", filter.Issue));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", filter.From?.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("to", filter.To?.ToUniversalTime()));
        command.Parameters.AddWithValue("known_at", knownAt.ToUniversalTime());
        var (startAt, startSeq) = filter.NewestFirst ? (DateTimeOffset.MaxValue, long.MaxValue) : (DateTimeOffset.MinValue, long.MinValue);
        command.Parameters.AddWithValue("after_at", (after?.StatedAt ?? startAt).ToUniversalTime());
        command.Parameters.AddWithValue("after_seq", after?.StatementSeq ?? startSeq);
        command.Parameters.AddWithValue("limit", size + 1);
        command.Parameters.AddWithValue("kinds", filter.EvidenceKinds ?? EvidenceKinds.All);

        var items = new List<StatementItem>();
        (DateTimeOffset, long) last = default;
        await using var reader = await command.ExecuteReaderAsync(ct);
        var row = new RevisionRows.Reader(reader);
        while (await reader.ReadAsync(ct))
        {
            if (items.Count == size)
                return new TimelinePage(knownAt, items, new TimelineCursor(knownAt, last.Item1, last.Item2, filter.NewestFirst).ToString());
            items.Add(row.Item());
            last = row.OrderKey();
        }
        return new TimelinePage(knownAt, items, null);
    }

    /// <summary>Where the page that <paramref name="next"/> names starts.</summary>
    public static (DateTimeOffset StatedAt, long StatementSeq)? PositionAfter(string next) => TimelineCursor.Parse(next)?.Position;
}
