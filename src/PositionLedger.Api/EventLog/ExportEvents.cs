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
        var errors = new Dictionary<string, string[]>();
        var afterValue = QueryValues.After(after, errors);
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));

        var events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
        await using var connection = await db.OpenConnectionAsync(ct);
        // PostgreSQL builds each line (json_build_object, in C) and COPY streams them out. CSV with a quote
        // and a delimiter that JSON text can never contain raw (control characters are escaped in JSON)
        // passes every line through verbatim, so the app only copies bytes from the socket to the response.
        var copy = $"""
            copy (select json_build_object('sequence', seq_id, 'type', type, 'streamId', stream_id, 'version', version,
                      'recordedAt', timestamp, 'recordedBy', user_name, 'correlationId', correlation_id, 'data', data)::text
                  from {events}
                  where seq_id > {afterValue.ToString(CultureInfo.InvariantCulture)} and stream_id <> '{JasperFx.Events.Tombstone.StreamKey}'
                  order by seq_id)
            to stdout (format csv, quote e'\x01', delimiter e'\x02')
            """;
        context.Response.ContentType = "application/x-ndjson";
        using (var lines = await connection.BeginTextExportAsync(copy, ct))
        {
            // A stateful encoder: a surrogate pair split across two reads still encodes as one character.
            var encoder = System.Text.Encoding.UTF8.GetEncoder();
            var chars = new char[1 << 15];
            var bytes = new byte[System.Text.Encoding.UTF8.GetMaxByteCount(chars.Length)];
            int read;
            while ((read = await lines.ReadAsync(chars, ct)) > 0)
            {
                var count = encoder.GetBytes(chars, 0, read, bytes, 0, flush: false);
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, count), ct);
            }
        }
        return TypedResults.Empty;
    }
}
