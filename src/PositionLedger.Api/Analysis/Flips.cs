using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
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

public sealed record FlipSide(string Stance, string StatedAt, string StatementId);

public sealed record Flip(string Issue, FlipSide Before, FlipSide After, int? Swing);

public sealed record PartyFlips(string Party, DateTimeOffset? From, DateTimeOffset To, DateTimeOffset KnownAt, IReadOnlyList<Flip> Flips);

/// <summary>
/// Rule 7 of docs/design.md: the party's reversals. Its own effective statements per issue in statedAt order (ties
/// as rule 2); each consecutive pair whose sign classes differ is a flip. One walk of the party's part of the basis index.
/// </summary>
public static class FlipsEndpoint
{
    // Per issue, the statement before from (the earlier half of the first pair), then those in [from, to].
    private static readonly string Sql = $"""
        select i.issue, k.statement_id, k.stance, k.stated_at, k.stated_on_date, k.statement_seq
        from unnest(@issues) as i(issue)
        cross join lateral {OwnStatementsWalk.Lateral("@party", "i.issue",
            "x.statement_id, x.stance, x.stated_at, x.stated_on_date, x.statement_seq", fromInRange: true)} k
        order by i.issue, k.stated_at, k.statement_seq
        """;

    [WolverineGet("/api/parties/{party}/flips", OperationId = "getFlips")]
    [Tags(ApiTags.Analysis)]
    [EndpointSummary("A party's reversals")]
    [EndpointDescription("The party's own statements per issue in statedAt order; each consecutive pair whose sign classes "
        + "(positive, neutral, negative, none) differ is a flip. Lists the flips whose later statement's statedAt lies in "
        + "[from, to], in that order, with swing = the later score minus the earlier (null when either withdraws).")]
    [Parameter("party", "The party's slug, e.g. russia.", Value = ParameterValue.Slug, Example = "russia")]
    [Parameter("from", "Flips from this moment on (valid time); a date means the start of that UTC day. Default: the beginning.",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-01")]
    [Parameter("to", "Flips up to this moment; a date means through the end of that UTC day. Default: knownAt.",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-31")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<PartyFlips>, ProblemHttpResult>> Get(
        string party, string? from, string? to, string? knownAt, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table,
        TimeProvider clock, CancellationToken ct)
    {
        var range = AnalysisRange.TryRead(from, to, knownAt, clock, fromIsStartOfDay: true, out var problem);
        if (range is null) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Party>(party, ct) is null)
            return TypedResults.Problem(Problems.NotFound($"No party '{party}' is registered."));

        var issues = await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct);
        await using var connection = await previews.OpenForAsync(context, preview, range.KnownAt, ct);
        var flips = await ReadAsync(db.Value, table, party, [.. issues], range, kinds, ct, connection);
        return TypedResults.Ok(new PartyFlips(party, range.From, range.To, range.KnownAt, flips));
    }

    public static async Task<List<Flip>> ReadAsync(
        NpgsqlDataSource db, RevisionTable table, string party, string[] issues, AnalysisRange range, string[] kinds,
        CancellationToken ct, NpgsqlConnection? replica = null)
    {
        await using var command = OwnStatementsWalk.Command(db, table, Sql, range, kinds, replica);
        command.Parameters.AddWithValue("party", party);
        command.Parameters.AddWithValue("issues", issues);
        var statements = new List<Row>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var stance = StanceWords.ByWord[reader.GetString(2)];
                var statedAt = reader.GetFieldValue<DateTimeOffset>(3);
                statements.Add(new Row(reader.GetString(0), stance, statedAt, reader.GetInt64(5),
                    new FlipSide(stance.Word(), Instants.Format(statedAt, reader.GetBoolean(4)), reader.GetGuid(1).ToString())));
            }
        }
        return Find(statements, range.From);
    }

    private sealed record Row(string Issue, Stance Stance, DateTimeOffset StatedAt, long FirstSequence, FlipSide Side);

    /// <summary>Consecutive pairs of one issue (rows in issue, statedAt, tie order) whose sign classes differ.</summary>
    private static List<Flip> Find(List<Row> statements, DateTimeOffset? from)
    {
        var flips = new List<(DateTimeOffset StatedAt, long FirstSequence, Flip Flip)>();
        for (var i = 1; i < statements.Count; i++)
        {
            var (before, after) = (statements[i - 1], statements[i]);
            if (before.Issue != after.Issue || before.Stance.SignClass() == after.Stance.SignClass()) continue;
            if (from is { } start && after.StatedAt < start) continue;
            var swing = after.Stance.Score() - before.Stance.Score();
            flips.Add((after.StatedAt, after.FirstSequence, new Flip(after.Issue, before.Side, after.Side, swing)));
        }
        // In the later statement's statedAt order, ties as rule 2 orders them (first recorded earlier first).
        return [.. flips.OrderBy(f => f.StatedAt).ThenBy(f => f.FirstSequence).Select(f => f.Flip)];
    }
}
