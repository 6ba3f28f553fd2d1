using Microsoft.AspNetCore.Http.HttpResults;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using Wolverine.Http;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;

namespace PositionLedger.Stances;

public sealed record PartyStance(string Party, DateTimeOffset AsOf, DateTimeOffset KnownAt, IReadOnlyList<IssueStance> Issues);

public sealed record PartyIssues(string Party, IReadOnlyList<IssueStance> Issues);

public sealed record AllStances(DateTimeOffset AsOf, DateTimeOffset KnownAt, IReadOnlyList<PartyIssues> Parties);

public static class GetPartyStanceEndpoint
{
    [WolverineGet("/api/parties/{party}/stance", OperationId = "getPartyStance")]
    [Tags(ApiTags.Stances)]
    [EndpointSummary("One party's stance on each issue")]
    [EndpointDescription("The party's stance per issue as of asOf, as known at knownAt: the basis statement (its own latest "
        + "statement on the issue) and the open claims other parties made about it. Issues with neither are left out; "
        + "a withdrawn stance is null.")]
    [Parameter("party", "The party's slug, e.g. russia.", Value = ParameterValue.Slug, Example = "russia")]
    [Parameter("asOf", "Valid time: the stance as stated up to this moment; a date means through the end of that UTC day. "
        + "Default: now.", Value = ParameterValue.DateOrInstant, Example = "2025-03-13")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time: as the ledger knew it at this moment, before later corrections; a date means through the "
        + "end of that UTC day. Default: now.", Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<PartyStance>, ProblemHttpResult>> Get(
        string party, string? asOf, string? knownAt, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table, TimeProvider clock,
        CancellationToken ct)
    {
        var problem = Clocks.TryRead(asOf, knownAt, clock, out var clocks);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Party>(party, ct) is null)
            return TypedResults.Problem(Problems.NotFound($"No party '{party}' is registered."));

        var issues = await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct);
        await using var connection = await previews.OpenForAsync(context, preview, clocks.KnownAt, ct);
        var stances = await StanceQueries.StancesAsync(db, table, [party], [.. issues], clocks.AsOf, clocks.KnownAt, ct, kinds, connection);
        return TypedResults.Ok(new PartyStance(party, clocks.AsOf, clocks.KnownAt, stances.GetValueOrDefault(party) ?? []));
    }
}

public static class GetStancesEndpoint
{
    [WolverineGet("/api/stances", OperationId = "getStances")]
    [Tags(ApiTags.Stances)]
    [EndpointSummary("Every party's stance on each issue")]
    [EndpointDescription("The stance matrix: for every party, its stance per issue as of asOf, as known at knownAt, with open claims.")]
    [Parameter("asOf", "Valid time: the stance as stated up to this moment; a date means through the end of that UTC day. "
        + "Default: now.", Value = ParameterValue.DateOrInstant, Example = "2025-03-13")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time: as the ledger knew it at this moment, before later corrections; a date means through the "
        + "end of that UTC day. Default: now.", Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<AllStances>, ProblemHttpResult>> Get(
        string? asOf, string? knownAt, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table, TimeProvider clock,
        CancellationToken ct)
    {
        var problem = Clocks.TryRead(asOf, knownAt, clock, out var clocks);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);

        var parties = await session.Query<Party>().OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        var issues = await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct);
        await using var connection = await previews.OpenForAsync(context, preview, clocks.KnownAt, ct);
        var stances = await StanceQueries.StancesAsync(
            db, table, [.. parties], [.. issues], clocks.AsOf, clocks.KnownAt, ct, kinds, connection);
        return TypedResults.Ok(new AllStances(clocks.AsOf, clocks.KnownAt,
            [.. parties.Select(p => new PartyIssues(p, stances.GetValueOrDefault(p) ?? []))]));
    }
}
