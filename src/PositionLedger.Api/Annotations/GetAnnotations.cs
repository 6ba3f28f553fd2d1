using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Microsoft.AspNetCore.Http;
using PositionLedger.Infrastructure;
using PositionLedger.Revisions;
using PositionLedger.Sources;
using Wolverine.Http;

namespace PositionLedger.Annotations;

/// <summary>One anchor of an effective statement in a source: what it says, of what kind, and where.</summary>
public sealed record AnnotationView(
    string StatementId, string Party, string Issue, string Stance, string? ClaimedBy, string Kind, Anchor Selector);

public sealed record SourceAnnotations(string Source, IReadOnlyList<AnnotationView> Annotations);

/// <summary>Every statement in effect now that is anchored in a source, one entry per anchor, in the order of the text.</summary>
public static class SourceAnnotationQueries
{
    public static async Task<IReadOnlyList<AnnotationView>?> ForAsync(
        string sourceId, IQuerySession session, SourceTexts texts, NpgsqlDataSource db, RevisionTable table, CancellationToken ct)
    {
        // Known sources are kept in memory (they never change): no need to read a 2 MB text again to know it exists.
        if ((await texts.LoadAsync(session, [sourceId], ct)).Count == 0) return null;
        await using var command = db.CreateCommand($"""
            select r.{RevisionRows.StatementId}, r.{RevisionRows.Party}, r.{RevisionRows.Issue}, r.{RevisionRows.Stance},
                   r.{RevisionRows.ClaimedBy}, r.{RevisionRows.Evidence}::text as evidence
            from {table.QualifiedName} r
            where r.{RevisionRows.RecordedTo} is null
              and r.{RevisionRows.Evidence} @> jsonb_build_object('anchors', jsonb_build_array(jsonb_build_object('source', @source::text)))
            """);
        command.Parameters.AddWithValue("source", sourceId);
        var annotations = new List<AnnotationView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var evidence = JsonSerializer.Deserialize<Evidence>(
                reader.GetString(reader.GetOrdinal("evidence")), JsonSerializerOptions.Web)!;
            foreach (var anchor in evidence.Anchors.Where(a => a.Source == sourceId))
            {
                annotations.Add(new AnnotationView(
                    reader.GetGuid(reader.GetOrdinal(RevisionRows.StatementId)).ToString(),
                    reader.GetString(reader.GetOrdinal(RevisionRows.Party)),
                    reader.GetString(reader.GetOrdinal(RevisionRows.Issue)),
                    reader.GetString(reader.GetOrdinal(RevisionRows.Stance)),
                    reader.IsDBNull(reader.GetOrdinal(RevisionRows.ClaimedBy))
                        ? null
                        : reader.GetString(reader.GetOrdinal(RevisionRows.ClaimedBy)),
                    evidence.Kind,
                    anchor));
            }
        }
        return [.. annotations.OrderBy(a => a.Selector.Start).ThenBy(a => a.StatementId, StringComparer.Ordinal)];
    }
}

public static class GetAnnotationsEndpoint
{
    [WolverineGet("/api/sources/{id}/annotations", OperationId = "listSourceAnnotations")]
    [Tags(ApiTags.Sources)]
    [EndpointSummary("The statements anchored in a source")]
    [EndpointDescription("Every statement in effect now that is anchored in this source, one entry per anchor, in the order of "
        + "the text: its party, issue, stance, kind of evidence and selector (exact, prefix, suffix, start, end in code points).")]
    [Parameter("id", "The source's slug.", Value = ParameterValue.Slug, Example = "wire-2025-03-13")]
    public static async Task<Results<Ok<SourceAnnotations>, ProblemHttpResult>> Get(
        string id, IQuerySession session, SourceTexts texts, NpgsqlDataSource db, RevisionTable table, CancellationToken ct) =>
        await SourceAnnotationQueries.ForAsync(id, session, texts, db, table, ct) is { } annotations
            ? TypedResults.Ok(new SourceAnnotations(id, annotations))
            : TypedResults.Problem(Problems.NotFound($"No source '{id}' is registered."));
}

/// <summary>
/// The same anchors as W3C Web Annotation JSON-LD, so annotation tools can open them: an AnnotationCollection whose
/// one page holds an Annotation per anchor, its body the statement and its target the source with a
/// TextQuoteSelector and a TextPositionSelector (code points, end exclusive, as the model says).
/// </summary>
public static class GetAnnotationsJsonLdEndpoint
{
    public const string MediaType = "application/ld+json; profile=\"http://www.w3.org/ns/anno.jsonld\"";

    [WolverineGet("/api/sources/{id}/annotations.jsonld", OperationId = "listSourceAnnotationsAsJsonLd")]
    [Tags(ApiTags.Sources)]
    [EndpointSummary("The same anchors as W3C Web Annotations")]
    [EndpointDescription("An AnnotationCollection (JSON-LD, anno.jsonld context) with one Annotation per anchor: body the "
        + "statement, target the source with a TextQuoteSelector and a TextPositionSelector.")]
    [Parameter("id", "The source's slug.", Value = ParameterValue.Slug, Example = "wire-2025-03-13")]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<JsonObject>(StatusCodes.Status200OK, "application/ld+json")]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<Microsoft.AspNetCore.Mvc.ProblemDetails>(
        StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(
        string id, HttpRequest request, IQuerySession session, SourceTexts texts, NpgsqlDataSource db, RevisionTable table,
        CancellationToken ct)
    {
        if (await SourceAnnotationQueries.ForAsync(id, session, texts, db, table, ct) is not { } annotations)
            return TypedResults.Problem(Problems.NotFound($"No source '{id}' is registered."));
        var site = $"{request.Scheme}://{request.Host}";
        var source = $"{site}/api/sources/{Uri.EscapeDataString(id)}";
        var items = new JsonArray([.. annotations.Select((a, i) => (JsonNode)new JsonObject
        {
            ["id"] = $"{source}/annotations.jsonld#{i + 1}",
            ["type"] = "Annotation",
            ["motivation"] = "describing",
            ["body"] = $"{site}/api/statements/{a.StatementId}",
            ["target"] = new JsonObject
            {
                ["source"] = source,
                ["selector"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "TextQuoteSelector", ["exact"] = a.Selector.Exact,
                        ["prefix"] = a.Selector.Prefix, ["suffix"] = a.Selector.Suffix,
                    },
                    new JsonObject { ["type"] = "TextPositionSelector", ["start"] = a.Selector.Start, ["end"] = a.Selector.End }),
            },
        })]);
        var collection = new JsonObject
        {
            ["@context"] = "http://www.w3.org/ns/anno.jsonld",
            ["id"] = $"{source}/annotations.jsonld",
            ["type"] = "AnnotationCollection",
            ["label"] = $"Statements anchored in {id}",
            ["total"] = annotations.Count,
            ["first"] = new JsonObject { ["id"] = $"{source}/annotations.jsonld#page1", ["type"] = "AnnotationPage", ["items"] = items },
        };
        return TypedResults.Text(collection.ToJsonString(), MediaType);
    }
}
