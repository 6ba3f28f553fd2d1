using Microsoft.AspNetCore.Http.HttpResults;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Parties;

public static class GetPartiesEndpoint
{
    [WolverineGet("/api/parties", OperationId = "listParties")]
    [Tags(ApiTags.Parties)]
    [EndpointSummary("List the parties")]
    [EndpointDescription("Every registered party, in id order.")]
    public static Task<IReadOnlyList<Party>> Get(IQuerySession session, CancellationToken ct) =>
        session.Query<Party>().OrderBy(p => p.Id).ToListAsync(ct);
}

public static class GetPartyEndpoint
{
    [WolverineGet("/api/parties/{id}", OperationId = "getParty")]
    [Tags(ApiTags.Parties)]
    [EndpointSummary("Read a party")]
    [EndpointDescription("The party registered under this id, with its name and aliases.")]
    [Parameter("id", "The party's slug, e.g. russia.", Value = ParameterValue.Slug, Example = "russia")]
    public static async Task<Results<Ok<Party>, ProblemHttpResult>> Get(string id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Party>(id, ct) is { } party
            ? TypedResults.Ok(party)
            : TypedResults.Problem(Problems.NotFound($"No party '{id}' is registered."));
}
