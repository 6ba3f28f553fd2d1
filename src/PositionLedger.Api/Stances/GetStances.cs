using Microsoft.AspNetCore.Http.HttpResults;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using Wolverine.Http;
using PositionLedger.Revisions;
using PositionLedger.Sources;

namespace PositionLedger.Stances;

public sealed record PartyStance(string Party, DateTimeOffset AsOf, DateTimeOffset KnownAt, IReadOnlyList<IssueStance> Issues);

public sealed record PartyIssues(string Party, IReadOnlyList<IssueStance> Issues);

public sealed record AllStances(DateTimeOffset AsOf, DateTimeOffset KnownAt, IReadOnlyList<PartyIssues> Parties);

public static class GetPartyStanceEndpoint
{
    [WolverineGet("/api/parties/{party}/stance")]
    public static async Task<Results<Ok<PartyStance>, ProblemHttpResult>> Get(
        string party, string? asOf, string? knownAt, string? evidence,
        IQuerySession session, StanceDataSource db, RevisionTable table, TimeProvider clock, CancellationToken ct)
    {
        var problem = Clocks.TryRead(asOf, knownAt, clock, out var clocks);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Party>(party, ct) is null) return TypedResults.Problem(Problems.NotFound($"No party '{party}' is registered."));

        var issues = await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct);
        var stances = await StanceQueries.StancesAsync(db, table, [party], [.. issues], clocks.AsOf, clocks.KnownAt, ct, kinds);
        return TypedResults.Ok(new PartyStance(party, clocks.AsOf, clocks.KnownAt, stances.GetValueOrDefault(party) ?? []));
    }
}

public static class GetStancesEndpoint
{
    [WolverineGet("/api/stances")]
    public static async Task<Results<Ok<AllStances>, ProblemHttpResult>> Get(
        string? asOf, string? knownAt, string? evidence,
        IQuerySession session, StanceDataSource db, RevisionTable table, TimeProvider clock, CancellationToken ct)
    {
        var problem = Clocks.TryRead(asOf, knownAt, clock, out var clocks);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);

        var parties = await session.Query<Party>().OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        var issues = await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct);
        var stances = await StanceQueries.StancesAsync(db, table, [.. parties], [.. issues], clocks.AsOf, clocks.KnownAt, ct, kinds);
        return TypedResults.Ok(new AllStances(clocks.AsOf, clocks.KnownAt,
            [.. parties.Select(p => new PartyIssues(p, stances.GetValueOrDefault(p) ?? []))]));
    }
}
