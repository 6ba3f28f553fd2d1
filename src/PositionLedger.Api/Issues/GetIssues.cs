using Microsoft.AspNetCore.Http.HttpResults;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Issues;

public static class GetIssuesEndpoint
{
    [WolverineGet("/api/issues", OperationId = "listIssues")]
    [Tags(ApiTags.Issues)]
    [EndpointSummary("List the issues")]
    [EndpointDescription("Every open issue, in id order.")]
    public static Task<IReadOnlyList<Issue>> Get(IQuerySession session, CancellationToken ct) =>
        session.Query<Issue>().OrderBy(p => p.Id).ToListAsync(ct);
}

public static class GetIssueEndpoint
{
    [WolverineGet("/api/issues/{id}", OperationId = "getIssue")]
    [Tags(ApiTags.Issues)]
    [EndpointSummary("Read an issue")]
    [EndpointDescription("The issue opened under this id, with its title and description.")]
    [Parameter("id", "The issue's slug, e.g. ceasefire-30-day.", Value = ParameterValue.Slug, Example = "ceasefire-30-day")]
    public static async Task<Results<Ok<Issue>, ProblemHttpResult>> Get(string id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Issue>(id, ct) is { } issue
            ? TypedResults.Ok(issue)
            : TypedResults.Problem(Problems.NotFound($"No issue '{id}' is open."));
}
