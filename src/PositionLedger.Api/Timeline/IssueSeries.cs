using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Analysis;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Timeline;

/// <summary>A change point of a party's stance: the statement that set it (score null: withdrawn).</summary>
public sealed record SeriesPoint(string StatedAt, string Stance, int? Score, string StatementId, string Speaker, string Quote)
{
    /// <summary>StatedAt as the instant the stance rules order by (a statement stated on a date may carry its hour).</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>One party's step line; <see cref="Downsampled"/> when it had more change points than the budget.</summary>
public sealed record PartySeries(string Party, int ChangePoints, bool Downsampled, IReadOnlyList<SeriesPoint> Points);

/// <summary>The convergence gap (rule 8) at a moment, computed from the series.</summary>
public sealed record GapPoint(DateTimeOffset At, int? Gap);

public sealed record IssueSeries(
    string Issue, DateTimeOffset? From, DateTimeOffset To, DateTimeOffset KnownAt, int Points,
    IReadOnlyList<PartySeries> Parties, IReadOnlyList<GapPoint> Gap);

/// <summary>
/// The issue chart's data in one answer: each party's stance on the issue as a step series, computed in PostgreSQL
/// from the basis index (change points only: a statement that leaves the stance as it was is no step), and the gap
/// line under it. A party with more change points in the range than <c>points</c> is downsampled: the range is cut
/// into points/4 buckets and each keeps its first, last, lowest and highest point, so the line's shape at chart
/// resolution is kept and its size is bounded however long the history; a range narrow enough gets every change point.
/// </summary>
public static class IssueSeriesEndpoint
{
    public const int DefaultPoints = 400, MinPoints = 8, MaxPoints = 4000;

    private static readonly string Score = "case k.stance "
        + string.Join(' ', StanceWords.ByWord.Select(w => $"when '{w.Key}' then {w.Value.Score()?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}"))
        + " end";

    // Per party: the statement holding at from and those in (from, to], from the basis index alone; rule 2's ties (the
    // statement first recorded later holds); the change points; the buckets; then the kept rows' words from the table.
    private static readonly string Sql = $$"""
        with walked as (
            select p.party, k.statement_id, k.version, k.stance, k.stated_at, k.stated_on_date, k.statement_seq
            from unnest(@parties) as p(party)
            cross join lateral {{OwnStatementsWalk.Lateral("p.party", "@issue",
                "x.statement_id, x.version, x.stance, x.stated_at, x.stated_on_date, x.statement_seq", fromInRange: false)}} k
        ), moments as (
            select distinct on (party, stated_at) * from walked order by party, stated_at, statement_seq desc
        ), changes as (
            select k.*, {{Score}} as score, k.stance is distinct from lag(k.stance) over (partition by k.party order by k.stated_at) as changed
            from moments k
        ), counted as (
            select c.*, count(*) over (partition by c.party) as total,
                   min(c.stated_at) over (partition by c.party) as first_at, max(c.stated_at) over (partition by c.party) as last_at
            from changes c where c.changed
        ), bucketed as (
            select c.*, case when c.total <= @points or c.first_at = c.last_at then 0
                        else width_bucket(extract(epoch from c.stated_at), extract(epoch from c.first_at),
                                          extract(epoch from c.last_at) + 0.001, @buckets) end as bucket
            from counted c
        ), ranked as (
            select b.*,
                   row_number() over (partition by b.party, b.bucket order by b.stated_at) as first_in,
                   row_number() over (partition by b.party, b.bucket order by b.stated_at desc) as last_in,
                   row_number() over (partition by b.party, b.bucket order by b.score nulls first, b.stated_at) as lowest_in,
                   row_number() over (partition by b.party, b.bucket order by b.score desc nulls last, b.stated_at) as highest_in
            from bucketed b
        )
        select r.party, r.stated_at, r.stated_on_date, r.stance, r.score, r.statement_id, t.speaker, t.quote, r.total
        from ranked r join {0} t on t.statement_id = r.statement_id and t.version = r.version
        where r.total <= @points or r.first_in = 1 or r.last_in = 1 or r.lowest_in = 1 or r.highest_in = 1
        order by r.party, r.stated_at
        """;

    [WolverineGet("/api/issues/{issue}/series", OperationId = "getIssueSeries")]
    [Tags(ApiTags.Analysis)]
    [EndpointSummary("Each party's stance on an issue as a step series, and the gap line")]
    [EndpointDescription("For the issue chart: per party, the change points of its stance on the issue (its own statements, "
        + "as rule 2 picks them; one whose stance equals the one before is no change point), the one holding at from and "
        + "each in (from, to], with the stating statement's speaker and quote. A party with more change points than points "
        + "is downsampled (downsampled: true): the range is cut into points/4 buckets, each keeping its first, last, lowest "
        + "and highest point; narrow the range for every change point. gap is rule 8's gap over the series, "
        + "where it changes (exact when no party is downsampled).")]
    [Parameter("issue", "The issue's slug, e.g. ceasefire-30-day.", Value = ParameterValue.Slug, Example = "ceasefire-30-day")]
    [Parameter("from", "The first moment (valid time); a date means the end of that UTC day. Default: the first statement.",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-01")]
    [Parameter("to", "The last moment (valid time); default: knownAt.", Value = ParameterValue.DateOrInstant, Example = "2025-03-31")]
    [Parameter("points", "The most points per party before it is downsampled: 8 to 4000, default 400.",
        Value = ParameterValue.WholeNumber, Minimum = MinPoints, Maximum = MaxPoints, Example = "400")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<IssueSeries>, ProblemHttpResult>> Get(
        string issue, string? from, string? to, string? knownAt, string? points, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table,
        TimeProvider clock, CancellationToken ct)
    {
        var range = AnalysisRange.TryRead(from, to, knownAt, clock, fromIsStartOfDay: false, out var problem);
        if (range is null) return TypedResults.Problem(problem);
        var errors = new Dictionary<string, string[]>();
        var budget = QueryValues.Limit(points, DefaultPoints, MaxPoints, errors, "points", MinPoints);
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Issue>(issue, ct) is null)
            return TypedResults.Problem(Problems.NotFound($"No issue '{issue}' is registered."));

        var parties = await session.Query<Party>().OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        await using var connection = await previews.OpenForAsync(context, preview, range.KnownAt, ct);
        var series = await ReadAsync(db.Value, table, issue, [.. parties], range, kinds, budget, ct, connection);
        return TypedResults.Ok(new IssueSeries(issue, range.From, range.To, range.KnownAt, budget, series, GapOf(series, range.From)));
    }

    public static async Task<List<PartySeries>> ReadAsync(
        NpgsqlDataSource db, RevisionTable table, string issue, string[] parties, AnalysisRange range, string[] kinds, int points,
        CancellationToken ct, NpgsqlConnection? replica = null)
    {
        await using var command = OwnStatementsWalk.Command(db, table, Sql, range, kinds, replica);
        command.Parameters.AddWithValue("parties", parties);
        command.Parameters.AddWithValue("issue", issue);
        command.Parameters.AddWithValue("points", (long)points);
        command.Parameters.AddWithValue("buckets", points / 4);
        var series = new List<PartySeries>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        List<SeriesPoint>? current = null;
        while (await reader.ReadAsync(ct))
        {
            var party = reader.GetString(0);
            if (series.Count == 0 || series[^1].Party != party)
            {
                var total = (int)reader.GetInt64(8);
                current = [];
                series.Add(new PartySeries(party, total, total > points, current));
            }
            current!.Add(new SeriesPoint(
                Instants.Format(reader.GetFieldValue<DateTimeOffset>(1), reader.GetBoolean(2)), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetGuid(5).ToString(), reader.GetString(6), reader.GetString(7))
            {
                At = reader.GetFieldValue<DateTimeOffset>(1),
            });
        }
        return series;
    }

    /// <summary>Rule 8 over the series: after each moment's points, the highest score minus the lowest (null below two).</summary>
    public static List<GapPoint> GapOf(IReadOnlyList<PartySeries> series, DateTimeOffset? from)
    {
        var moments = series
            .SelectMany(s => s.Points.Select(p => (s.Party, p.At, p.Score)))
            .Select(p => p with { At = from is { } start && p.At < start ? start : p.At })
            .GroupBy(p => p.At)
            .OrderBy(g => g.Key);
        var scores = new Dictionary<string, int?>();
        var gaps = new List<GapPoint>();
        foreach (var moment in moments)
        {
            foreach (var point in moment) scores[point.Party] = point.Score;
            var held = scores.Values.OfType<int>().ToList();
            int? gap = held.Count < 2 ? null : held.Max() - held.Min();
            if (gaps.Count == 0 || gaps[^1].Gap != gap) gaps.Add(new GapPoint(moment.Key, gap));
        }
        return gaps;
    }
}
