using Microsoft.AspNetCore.Http.HttpResults;
using Marten;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using Wolverine.Http;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;

namespace PositionLedger.Stances;

public sealed record StanceChange(string Issue, IssueStance? Before, IssueStance? After);

/// <summary>What changed in a party's stances between two dates: issues whose stance word differs.</summary>
public static class GetChangesEndpoint
{
    [WolverineGet("/api/parties/{party}/changes", OperationId = "getStanceChanges")]
    [Tags(ApiTags.Stances)]
    [EndpointSummary("What changed in a party's stances between two dates")]
    [EndpointDescription("The issues whose stance differs between from and to (both valid time, as asOf), with the stance "
        + "before and after (null where there was none).")]
    [Parameter("party", "The party's slug, e.g. russia.", Value = ParameterValue.Slug, Example = "russia")]
    [Parameter("from", "The earlier moment (valid time); a date means through the end of that UTC day.",
        Value = ParameterValue.DateOrInstant, Required = true, Example = "2025-03-11")]
    [Parameter("to", "The later moment (valid time); a date means through the end of that UTC day.",
        Value = ParameterValue.DateOrInstant, Required = true, Example = "2025-03-14")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time for both moments; default: now.", Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<List<StanceChange>>, ProblemHttpResult>> Get(
        string party, string? from, string? to, string? knownAt, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table, TimeProvider clock,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is null) errors["from"] = ["'from' is required."];
        if (to is null) errors["to"] = ["'to' is required."];
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));
        var problem = Clocks.TryRead(from, knownAt, clock, out var before, asOfName: "from");
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = Clocks.TryRead(to, knownAt, clock, out var after, asOfName: "to");
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        // One record time for both moments, also when it defaults to now.
        before = before with { KnownAt = after.KnownAt };
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Party>(party, ct) is null)
            return TypedResults.Problem(Problems.NotFound($"No party '{party}' is registered."));

        var issues = (await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct)).ToArray();
        await using var connection = await previews.OpenForAsync(context, preview, after.KnownAt, ct);
        var then = (await StanceQueries.StancesAsync(db, table, [party], issues, before.AsOf, before.KnownAt, ct, kinds, connection))
            .GetValueOrDefault(party) ?? [];
        var now = (await StanceQueries.StancesAsync(db, table, [party], issues, after.AsOf, after.KnownAt, ct, kinds, connection))
            .GetValueOrDefault(party) ?? [];
        var changes = issues.Order(StringComparer.Ordinal)
            .Select(issue => new StanceChange(
                issue, then.SingleOrDefault(s => s.Issue == issue), now.SingleOrDefault(s => s.Issue == issue)))
            .Where(c => c.Before?.Stance != c.After?.Stance)
            .ToList();
        return TypedResults.Ok(changes);
    }
}
