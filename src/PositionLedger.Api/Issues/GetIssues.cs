using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Issues;

public static class GetIssuesEndpoint
{
    [WolverineGet("/api/issues")]
    public static Task<IReadOnlyList<Issue>> Get(IQuerySession session, CancellationToken ct) =>
        session.Query<Issue>().OrderBy(p => p.Id).ToListAsync(ct);
}

public static class GetIssueEndpoint
{
    [WolverineGet("/api/issues/{id}")]
    public static async Task<IResult> Get(string id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Issue>(id, ct) is { } issue
            ? Results.Ok(issue)
            : Results.Problem(Problems.NotFound($"No issue '{id}' is open."));
}
