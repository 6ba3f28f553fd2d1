using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Threading.Channels;
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
    /// <summary>Sequence numbers per chunk (~3 MB at the default): two chunks are read at once, each on its own connection.</summary>
    public const string ChunkSetting = "PositionLedger:ExportChunkEvents";

    /// <summary>
    /// Sequence numbers per value PostgreSQL builds (up to as many lines, ~160 KB at the default):
    /// see <see cref="CopyLinesAsync"/>.
    /// </summary>
    public const string SequencesPerValueSetting = "PositionLedger:ExportSequencesPerValue";

    private const int Readers = 2;

    [WolverineGet("/api/events/export", OperationId = "exportEvents")]
    [Tags(ApiTags.Events)]
    [EndpointSummary("Export the event log")]
    [EndpointDescription("The whole log (or everything after a sequence) as NDJSON, one event per line in record order, "
        + "streamed from the database.")]
    [Parameter("after", "Only events with a greater sequence number; default 0.", Value = ParameterValue.WholeNumber)]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<EventView>(StatusCodes.Status200OK, "application/x-ndjson")]
    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Get(
        string? after, HttpContext context, ExportDataSource exportDb, IDocumentStore store, IConfiguration configuration,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var afterValue = QueryValues.After(after, errors);
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));

        var events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
        // Both readers' connections before the first byte: a full pool then fails the request cleanly
        // instead of cutting a response that has started.
        var connections = new List<NpgsqlConnection>(Readers);
        long ceiling;
        try
        {
            while (connections.Count < Readers) connections.Add(await exportDb.Value.OpenConnectionAsync(ct));
            await using var last = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {events}", connections[0]);
            ceiling = (long)(await last.ExecuteScalarAsync(ct))!;
        }
        catch
        {
            foreach (var opened in connections) await opened.DisposeAsync();
            throw;
        }
        var chunk = Math.Max(1, configuration.GetValue(ChunkSetting, 5_000));
        var sequencesPerValue = Math.Max(1, configuration.GetValue(SequencesPerValueSetting, 256));
        var ranges = new List<(long After, long To)>();
        for (var from = afterValue; from < ceiling; from += chunk) ranges.Add((from, Math.Min(from + chunk, ceiling)));

        context.Response.ContentType = "application/x-ndjson";
        // Turning jsonb into text is most of the work, and it is PostgreSQL's: two backends each build the
        // lines of every other chunk while the response takes them in order, so the export uses two cores.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var queues = Enumerable.Range(0, Readers).Select(_ => Channel.CreateBounded<Pipe>(1)).ToArray();
        var readers = Enumerable.Range(0, Readers)
            .Select(r => ReadChunksAsync(connections[r], events, ranges, sequencesPerValue, r, queues[r].Writer, stop.Token))
            .ToArray();
        try
        {
            for (var i = 0; i < ranges.Count; i++)
            {
                var pipe = await queues[i % Readers].Reader.ReadAsync(stop.Token);
                await pipe.Reader.CopyToAsync(context.Response.BodyWriter, stop.Token);
                await pipe.Reader.CompleteAsync();
            }
        }
        finally
        {
            await stop.CancelAsync();
            try { await Task.WhenAll(readers); }
            catch (OperationCanceledException) { }
        }
        return TypedResults.Empty;
    }

    private static async Task ReadChunksAsync(
        NpgsqlConnection owned, string events, List<(long After, long To)> ranges, int sequencesPerValue, int reader,
        ChannelWriter<Pipe> queue, CancellationToken ct)
    {
        await using var connection = owned;
        try
        {
            for (var i = reader; i < ranges.Count; i += Readers)
            {
                // Bounded, so a reader is at most one chunk ahead of the response and memory stays flat.
                var pipe = new Pipe(new PipeOptions(
                    pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, minimumSegmentSize: 64 << 10));
                await queue.WriteAsync(pipe, ct);
                try
                {
                    await CopyLinesAsync(connection, events, ranges[i], sequencesPerValue, pipe.Writer, ct);
                    await pipe.Writer.CompleteAsync();
                }
                catch (Exception e)
                {
                    await pipe.Writer.CompleteAsync(e);
                    throw;
                }
            }
            queue.Complete();
        }
        catch (Exception e)
        {
            // The response, waiting for this reader's next chunk, fails instead of waiting for ever.
            queue.TryComplete(e);
            throw;
        }
    }

    /// <summary>
    /// PostgreSQL builds the chunk's NDJSON lines and joins those of every <paramref name="sequencesPerValue"/>
    /// sequence numbers into one value, NULL where there are none. An event type is one of the app's own event
    /// names, so it needs no escaping; every other text is escaped by to_json. A binary COPY of those values
    /// hands them over as bytes, so the app neither decodes nor re-encodes text, and pays per value, not per
    /// line. PostgreSQL's CPU for 300,000 events (COPY to /dev/null): 1.3-1.6 s in values of 256 events;
    /// 1.9-2.0 s a row per line (and the app then pays per line); 1.9-2.7 s one value per 5,000-event chunk
    /// (each ~3 MB value is memory fresh from the kernel).
    /// The lines are joined in the order of an ordered subquery (PostgreSQL's documented way to order an
    /// aggregate's input; nothing else happens at that level), not by the aggregate's own ORDER BY:
    /// PostgreSQL 15 sorts an aggregate's input again even when the index scan gives it in order (~8% of its CPU here).
    /// </summary>
    private static async Task CopyLinesAsync(
        NpgsqlConnection connection, string events, (long After, long To) range, int sequencesPerValue, PipeWriter output,
        CancellationToken ct)
    {
        var (after, to, step) = (
            range.After.ToString(CultureInfo.InvariantCulture),
            range.To.ToString(CultureInfo.InvariantCulture),
            sequencesPerValue.ToString(CultureInfo.InvariantCulture));
        var copy = $$"""
            copy (select (select string_agg(line, '')
                          from (select '{"sequence":' || seq_id || ',"type":"' || type || '","streamId":' || to_json(stream_id)
                                    || ',"version":' || version || ',"recordedAt":' || to_json(timestamp)
                                    || ',"recordedBy":' || coalesce(to_json(user_name)::text, 'null')
                                    || ',"correlationId":' || coalesce(to_json(correlation_id)::text, 'null')
                                    || ',"data":' || data || e'}\n' as line
                                from {{events}}
                                where seq_id > g and seq_id <= least(g + {{step}}, {{to}})
                                  and stream_id <> '{{JasperFx.Events.Tombstone.StreamKey}}'
                                  and stream_id not like '{{Reviews.Proposal.StreamPrefix}}%'
                                order by seq_id) as lines)
                  from generate_series({{after}}::bigint, {{to}} - 1, {{step}}) as g
                  order by g)
            to stdout (format binary)
            """;
        await using var raw = await connection.BeginRawBinaryCopyAsync(copy, ct);
        var input = PipeReader.Create(raw, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        var values = new BinaryCopyValues();
        while (true)
        {
            var read = await input.ReadAsync(ct);
            var buffer = read.Buffer;
            var done = values.Take(ref buffer, output);
            input.AdvanceTo(buffer.Start, buffer.End);
            var flushed = await output.FlushAsync(ct);
            if (done || flushed.IsCanceled) break;
            if (read.IsCompleted) throw new InvalidDataException("The COPY stream ended before its trailer.");
        }
        await input.CompleteAsync();
    }

    /// <summary>
    /// PostgreSQL's binary COPY format for rows of one text column: passes each value's bytes through as
    /// they arrive (a value may span many reads) and skips the framing and NULLs.
    /// </summary>
    private sealed class BinaryCopyValues
    {
        private bool _headerRead;
        private int _valueLeft;

        /// <summary>Writes the value bytes in <paramref name="buffer"/> and consumes them; true once the trailer is read.</summary>
        public bool Take(ref ReadOnlySequence<byte> buffer, PipeWriter output)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (!_headerRead)
            {
                // 11-byte signature, 32-bit flags, 32-bit length of a header extension, the extension.
                if (reader.Remaining < 19) return false;
                reader.Advance(15);
                reader.TryReadBigEndian(out int extension);
                if (reader.Remaining < extension) return false;
                reader.Advance(extension);
                _headerRead = true;
            }
            while (true)
            {
                if (_valueLeft > 0)
                {
                    var take = (int)Math.Min(_valueLeft, reader.Remaining);
                    foreach (var segment in reader.UnreadSequence.Slice(0, take)) output.Write(segment.Span);
                    reader.Advance(take);
                    _valueLeft -= take;
                    if (_valueLeft > 0) break;
                }
                // A row: 16-bit field count (-1 ends the data), then the field's 32-bit length (-1 is NULL).
                if (!reader.TryReadBigEndian(out short fields)) break;
                if (fields == -1)
                {
                    buffer = buffer.Slice(reader.Position);
                    return true;
                }
                if (!reader.TryReadBigEndian(out int length))
                {
                    reader.Rewind(sizeof(short));
                    break;
                }
                _valueLeft = Math.Max(length, 0);
            }
            buffer = buffer.Slice(reader.Position);
            return false;
        }
    }
}
