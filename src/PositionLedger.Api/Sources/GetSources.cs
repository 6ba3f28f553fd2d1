using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
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
    [WolverineGet("/api/sources")]
    public static async Task<IReadOnlyList<SourceSummary>> Get(IQuerySession session, CancellationToken ct) =>
        [.. (await session.Query<ArchivedSource>().OrderBy(s => s.Id).ToListAsync(ct)).Select(SourceSummary.Of)];
}

public static class GetSourceEndpoint
{
    [WolverineGet("/api/sources/{id}")]
    public static async Task<Results<Ok<ArchivedSourceView>, ProblemHttpResult>> Get(string id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<ArchivedSource>(id, ct) is { } source
            ? TypedResults.Ok(ArchivedSourceView.Of(source))
            : TypedResults.Problem(Problems.NotFound($"No source '{id}' is registered."));
}
