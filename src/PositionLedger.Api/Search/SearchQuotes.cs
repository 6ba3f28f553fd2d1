using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Infrastructure;
using Wolverine.Http;
using PositionLedger.Revisions;

namespace PositionLedger.Search;

public sealed record SearchHit(float Rank, StatementItem Statement);

/// <summary>PostgreSQL full-text search (English stemming, web-search syntax) over the current quotes and speakers.</summary>
public static partial class SearchQuotesEndpoint
{
    [System.Text.RegularExpressions.GeneratedRegex(@"-[\s-]*-")]
    private static partial System.Text.RegularExpressions.Regex RepeatedNegation();

    /// <summary>
    /// "- - x" means "not not x", and PostgreSQL's query parser stacks each negation: 33 in a row overflow
    /// its stack (an error, not an answer). A run of negations means one negation or none.
    /// </summary>
    public static string Normalise(string q) =>
        RepeatedNegation().Replace(q, run => run.Value.Count(c => c == '-') % 2 == 1 ? "-" : " ");

    public const int MaxLimit = 100;

    [WolverineGet("/api/search", OperationId = "searchQuotes")]
    [Tags(ApiTags.Search)]
    [EndpointSummary("Search quotes and speakers")]
    [EndpointDescription("Current statements whose quote or speaker matches, best first (PostgreSQL full-text search with "
        + "English stemming and web-search syntax: \"quoted phrases\", or, -excluded).")]
    [Parameter("q", "The search terms.", Required = true, MaxLength = 500, Example = "ceasefire")]
    [Parameter("limit", "Most hits to return; default 20.", Value = ParameterValue.WholeNumber, Minimum = 1, Maximum = MaxLimit)]
    public static async Task<Results<Ok<List<SearchHit>>, ProblemHttpResult>> Get(
        string? q, string? limit, NpgsqlDataSource db, RevisionTable table, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(q) || q.Length > 500) errors["q"] = ["'q' must be 1 to 500 characters of search terms."];
        var size = QueryValues.Limit(limit, 20, MaxLimit, errors);
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));

        // Current revisions only: a retracted statement has no open revision, so it is not found.
        await using var command = db.CreateCommand($"""
            select {RevisionRows.Columns}, ts_rank(r.search, query) as rank
            from {table.QualifiedName} r, websearch_to_tsquery('english', @q) query
            where r.recorded_to is null and r.search @@ query
            order by rank desc, r.stated_at desc
            limit @limit
            """);
        command.Parameters.AddWithValue("q", Normalise(q!));
        command.Parameters.AddWithValue("limit", size);
        var hits = new List<SearchHit>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        var row = new RevisionRows.Reader(reader);
        var rank = reader.GetOrdinal("rank");
        while (await reader.ReadAsync(ct)) hits.Add(new SearchHit(reader.GetFloat(rank), row.Item()));
        return TypedResults.Ok(hits);
    }
}
