using System.Buffers;
using System.Globalization;
using System.Text.Json;
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
        await using var command = new NpgsqlCommand(
            $"select seq_id, type, stream_id, version, timestamp, user_name, correlation_id, data::text from {events} " +
            $"where seq_id > $1 and stream_id <> '{JasperFx.Events.Tombstone.StreamKey}' order by seq_id", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = afterValue });
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);

        context.Response.ContentType = "application/x-ndjson";
        await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        var rows = 0;
        while (await reader.ReadAsync(ct))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", reader.GetInt64(0));
            json.WriteString("type", reader.GetString(1));
            json.WriteString("streamId", reader.GetString(2));
            json.WriteNumber("version", reader.GetInt64(3));
            json.WriteString("recordedAt", reader.GetFieldValue<DateTimeOffset>(4));
            json.WriteString("recordedBy", reader.IsDBNull(5) ? null : reader.GetString(5));
            json.WriteString("correlationId", reader.IsDBNull(6) ? null : reader.GetString(6));
            json.WritePropertyName("data");
            json.WriteRawValue(reader.GetString(7), skipInputValidation: true);
            json.WriteEndObject();
            json.Flush();
            context.Response.BodyWriter.Write("\n"u8);
            json.Reset(context.Response.BodyWriter);
            if (++rows % 1000 == 0) await context.Response.BodyWriter.FlushAsync(ct);
        }
        await context.Response.BodyWriter.FlushAsync(ct);
        return TypedResults.Empty;
    }
}
