using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Infrastructure;
using Wolverine.Http;
using PositionLedger.Revisions;

namespace PositionLedger.Timeline;

/// <summary>The span of valid time the ledger covers, e.g. for a date slider.</summary>
public sealed record TimelineBounds(string? First, string? Last);

public static class GetBoundsEndpoint
{
    [WolverineGet("/api/timeline/bounds", OperationId = "getTimelineBounds")]
    [Tags(ApiTags.Timeline)]
    [EndpointSummary("The span of dates the ledger covers")]
    [EndpointDescription("The dates of the first and the last current statement (null when there are none), e.g. for a date slider.")]
    public static async Task<Ok<TimelineBounds>> Get(NpgsqlDataSource db, RevisionTable table, CancellationToken ct)
    {
        // Two index probes at the ends of (stated_at, statement_seq).
        await using var command = db.CreateCommand($"""
            select (select min(stated_at) from {table.QualifiedName} where recorded_to is null),
                   (select max(stated_at) from {table.QualifiedName} where recorded_to is null)
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        string? Day(int column) => reader.IsDBNull(column)
            ? null
            : Instants.Format(reader.GetFieldValue<DateTimeOffset>(column), isDate: true);
        return TypedResults.Ok(new TimelineBounds(Day(0), Day(1)));
    }
}
