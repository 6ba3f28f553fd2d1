using System.Globalization;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.EventLog;

/// <summary>
/// The whole event log (or everything after a sequence) as NDJSON, in record order, for replay and
/// export. Rows go from PostgreSQL to the response as they are read, so memory stays flat at any size.
/// </summary>
public static class ExportEventsEndpoint
{
    [WolverineGet("/api/events/export")]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<EventView>(StatusCodes.Status200OK, "application/x-ndjson")]
    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Get(
        string? after, HttpContext context, NpgsqlDataSource db, IDocumentStore store, CancellationToken ct)
    {
        long afterValue = 0;
        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterValue))
            return TypedResults.Problem(Problems.Invalid("after", "'after' must be an event sequence number (0 or more)."));

        var events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
        await using var connection = await db.OpenConnectionAsync(ct);
        // PostgreSQL builds each line (in C, from the stored jsonb); the app only copies bytes through.
        await using var command = new NpgsqlCommand(
            $"""
            select json_build_object('sequence', seq_id, 'type', type, 'streamId', stream_id, 'version', version,
                'recordedAt', timestamp, 'recordedBy', user_name, 'correlationId', correlation_id, 'data', data)::text
            from {events} where seq_id > $1 and stream_id <> '{JasperFx.Events.Tombstone.StreamKey}' order by seq_id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = afterValue });
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);

        context.Response.ContentType = "application/x-ndjson";
        var body = context.Response.BodyWriter;
        var rows = 0;
        while (await reader.ReadAsync(ct))
        {
            var line = reader.GetString(0);
            var span = body.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(line.Length) + 1);
            var written = System.Text.Encoding.UTF8.GetBytes(line, span);
            span[written] = (byte)'\n';
            body.Advance(written + 1);
            if (++rows % 2000 == 0) await body.FlushAsync(ct);
        }
        await body.FlushAsync(ct);
        return TypedResults.Empty;
    }
}
