using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Analysis;

/// <summary>The valid-time range and record time of an analysis read.</summary>
public sealed record AnalysisRange(DateTimeOffset? From, DateTimeOffset To, DateTimeOffset KnownAt)
{
    /// <param name="fromIsStartOfDay">A date as <c>from</c> means the start of that UTC day (else its end, as asOf).</param>
    public static AnalysisRange? TryRead(
        string? from, string? to, string? knownAt, TimeProvider clock, bool fromIsStartOfDay, out ProblemDetails problem)
    {
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset? fromValue = null;
        DateTimeOffset toValue = now, knownAtValue = now;
        if (from is not null)
        {
            var read = fromIsStartOfDay ? Instants.TryParse(from, out var start, out _) : Instants.TryParseUpperBound(from, out start);
            if (read) fromValue = start;
            else errors["from"] = [$"'from' must be {Instants.FormatHint}."];
        }
        if (knownAt is not null && !Instants.TryParseUpperBound(knownAt, out knownAtValue))
            errors["knownAt"] = [$"'knownAt' must be {Instants.FormatHint}."];
        // Default to: knownAt. Nothing recorded by then was stated later (statedAt is never in the future), so the answer
        // is the same as up to now, and stays a function of the two clocks (a settled answer is then final).
        toValue = knownAtValue;
        if (to is not null && !Instants.TryParseUpperBound(to, out toValue)) errors["to"] = [$"'to' must be {Instants.FormatHint}."];
        problem = errors.Count > 0 ? Problems.Invalid(errors) : WolverineContinue.NoProblems;
        return errors.Count > 0 ? null : new AnalysisRange(fromValue, toValue, knownAtValue);
    }
}

public sealed record ConvergencePoint(DateTimeOffset At, int? Gap, IReadOnlyDictionary<string, int> Scores);

public sealed record IssueConvergence(string Issue, DateTimeOffset KnownAt, IReadOnlyList<ConvergencePoint> Points);

/// <summary>
/// Rule 8 of docs/design.md: how far apart the parties' stances on an issue are over time. The parties' own
/// statements on the issue, one walk of the basis index per party, folded in statedAt order.
/// </summary>
public static class ConvergenceEndpoint
{
    // Each party's stance as of from, then its statements in (from, to].
    private static readonly string Sql = $"""
        select p.party, k.stance, k.stated_at
        from unnest(@parties) as p(party)
        cross join lateral {OwnStatementsWalk.Lateral("p.party", "@issue", "x.stance, x.stated_at, x.statement_seq", fromInRange: false)} k
        order by k.stated_at, k.statement_seq
        """;

    [WolverineGet("/api/issues/{issue}/convergence", OperationId = "getConvergence")]
    [Tags(ApiTags.Analysis)]
    [EndpointSummary("How far apart the parties are on an issue, over time")]
    [EndpointDescription("The gap at an instant is the largest minus the smallest stance score (proposes, supports, accepts 2; "
        + "conditional 1; noncommittal 0; opposes -1; rejects -2) among the parties with a stance on the issue as of that instant "
        + "(claims never count); null with fewer than two. A point at from, and one at every distinct statedAt of a party's own "
        + "statement on the issue in (from, to]. Dates mean the end of that UTC day.")]
    [Parameter("issue", "The issue's slug, e.g. ceasefire-30-day.", Value = ParameterValue.Slug, Example = "ceasefire-30-day")]
    [Parameter("from", "The first point (valid time); default: the issue's first statedAt.",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-10")]
    [Parameter("to", "The last moment (valid time); default: knownAt (no statement known then was stated later).",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-31")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<IssueConvergence>, ProblemHttpResult>> Get(
        string issue, string? from, string? to, string? knownAt, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table,
        TimeProvider clock, CancellationToken ct)
    {
        var range = AnalysisRange.TryRead(from, to, knownAt, clock, fromIsStartOfDay: false, out var problem);
        if (range is null) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Issue>(issue, ct) is null)
            return TypedResults.Problem(Problems.NotFound($"No issue '{issue}' is registered."));

        var parties = await session.Query<Party>().Select(p => p.Id).ToListAsync(ct);
        await using var connection = await previews.OpenForAsync(context, preview, range.KnownAt, ct);
        var points = await ReadAsync(db.Value, table, issue, [.. parties], range, kinds, ct, connection);
        return TypedResults.Ok(new IssueConvergence(issue, range.KnownAt, points));
    }

    public static async Task<List<ConvergencePoint>> ReadAsync(
        NpgsqlDataSource db, RevisionTable table, string issue, string[] parties, AnalysisRange range, string[] kinds,
        CancellationToken ct, NpgsqlConnection? replica = null)
    {
        await using var command = OwnStatementsWalk.Command(db, table, Sql, range, kinds, replica);
        command.Parameters.AddWithValue("parties", parties);
        command.Parameters.AddWithValue("issue", issue);
        var statements = new List<(string Party, Stance Stance, DateTimeOffset StatedAt)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                statements.Add((reader.GetString(0), StanceWords.ByWord[reader.GetString(1)], reader.GetFieldValue<DateTimeOffset>(2)));
        }
        return Points(statements, range);
    }

    /// <summary>The fold: statements in statedAt and tie order, so the last one applied per party is its basis.</summary>
    private static List<ConvergencePoint> Points(
        List<(string Party, Stance Stance, DateTimeOffset StatedAt)> statements, AnalysisRange range)
    {
        DateTimeOffset from;
        if (range.From is { } given) from = given;
        else if (statements.Count > 0) from = statements[0].StatedAt;
        else return [];
        var basis = new Dictionary<string, Stance>();
        var points = new List<ConvergencePoint>();
        var next = 0;
        void ApplyThrough(DateTimeOffset at)
        {
            for (; next < statements.Count && statements[next].StatedAt <= at; next++)
                basis[statements[next].Party] = statements[next].Stance;
        }
        ConvergencePoint PointAt(DateTimeOffset at)
        {
            var scores = basis.Where(b => b.Value.Score() is not null)
                .OrderBy(b => b.Key, StringComparer.Ordinal)
                .ToDictionary(b => b.Key, b => b.Value.Score()!.Value);
            return new ConvergencePoint(at, scores.Count < 2 ? null : scores.Values.Max() - scores.Values.Min(), scores);
        }
        ApplyThrough(from);
        points.Add(PointAt(from));
        while (next < statements.Count)
        {
            var at = statements[next].StatedAt;
            ApplyThrough(at);
            points.Add(PointAt(at));
        }
        return points;
    }
}
