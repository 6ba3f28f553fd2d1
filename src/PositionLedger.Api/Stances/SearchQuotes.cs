using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Stances;

public sealed record SearchHit(float Rank, StatementItem Statement);

/// <summary>PostgreSQL full-text search (English stemming, web-search syntax) over the current quotes and speakers.</summary>
public static class SearchQuotesEndpoint
{
    public const int MaxLimit = 100;

    [WolverineGet("/api/search")]
    public static async Task<Results<Ok<List<SearchHit>>, ProblemHttpResult>> Get(string? q, string? limit, NpgsqlDataSource db, RevisionTable table, CancellationToken ct)
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
        command.Parameters.AddWithValue("q", q!);
        command.Parameters.AddWithValue("limit", size);
        var hits = new List<SearchHit>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) hits.Add(new SearchHit(reader.GetFloat(15), RevisionRows.Read(reader)));
        return TypedResults.Ok(hits);
    }
}
