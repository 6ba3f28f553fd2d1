using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Sources;

/// <summary>A source with its archived text.</summary>
public sealed record ArchivedSourceView(
    string Id, string Title, string Outlet, string? Url, string? PublishedAt, string Language, string Sha256, int Length,
    Translation? Translation, string Text)
{
    public static ArchivedSourceView Of(ArchivedSource s)
    {
        var summary = SourceSummary.Of(s);
        return new(summary.Id, summary.Title, summary.Outlet, summary.Url, summary.PublishedAt, summary.Language, summary.Sha256,
            summary.Length, summary.Translation, s.Text);
    }
}

public static class GetSourcesEndpoint
{
    [WolverineGet("/api/sources", OperationId = "listSources")]
    [Tags(ApiTags.Sources)]
    [EndpointSummary("List the sources")]
    [EndpointDescription("Every archived source, in id order, without its text.")]
    public static async Task<IReadOnlyList<SourceSummary>> Get(IQuerySession session, CancellationToken ct) =>
        [.. (await session.Query<ArchivedSource>().OrderBy(s => s.Id).ToListAsync(ct)).Select(SourceSummary.Of)];
}

public static class GetSourceEndpoint
{
    [WolverineGet("/api/sources/{id}", OperationId = "getSource")]
    [Tags(ApiTags.Sources)]
    [EndpointSummary("Read a source with its text")]
    [EndpointDescription("The archived text and its metadata (language, translation provenance, sha256, length in code points).")]
    [Parameter("id", "The source's slug.", Value = ParameterValue.Slug, Example = "wire-2025-03-13")]
    public static async Task<Results<Ok<ArchivedSourceView>, ProblemHttpResult>> Get(
        string id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<ArchivedSource>(id, ct) is { } source
            ? TypedResults.Ok(ArchivedSourceView.Of(source))
            : TypedResults.Problem(Problems.NotFound($"No source '{id}' is registered."));
}
