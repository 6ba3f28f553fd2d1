using Marten;
using Npgsql;
using PositionLedger.Statements;

namespace PositionLedger.Stances;

/// <summary>
/// The revision rows of stored statement events, written by PostgreSQL from the events' JSON: for the bulk
/// paths (imports, rebuilds), where the events are already in the database and sending them back and forth
/// through the app would cost more than the rows. Each PositionStated or StatementCorrected becomes the same
/// row <see cref="StatementRevisionsProjection"/> writes for appends, valid until the next event of its
/// statement (a correction or a retraction), if any. The filter must take whole streams. Rows already
/// there are left as they are (a recovery after a rebuild that already wrote them, or a swap that caught
/// an import's events up before the import's own second transaction).
/// The rebuild tests compare the two row by row, every column.
/// </summary>
public sealed class StoredEventRevisions(IDocumentStore store)
{
    private readonly string _events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
    private readonly string[] _types = [TypeName<PositionStated>(store), TypeName<StatementCorrected>(store), TypeName<StatementRetracted>(store)];

    /// <summary>A command inserting into <paramref name="target"/> the rows of the events matching <paramref name="filter"/> (SQL on mt_events, with its own parameters).</summary>
    public NpgsqlCommand Insert(string target, string filter, NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        var command = new NpgsqlCommand(
            $"""
            with statement_events as (
                select seq_id, lead(seq_id) over w as next_seq, lead(timestamp) over w as next_at, min(seq_id) over (partition by stream_id) as first_seq
                from {_events}
                where type = any(@types) and ({filter})
                window w as (partition by stream_id order by version)),
            revisions as (
                select (e.data ->> 'statementId')::uuid as statement_id, e.version,
                       case when e.type = @corrected then e.data -> 'corrected' else e.data -> 'content' end as c,
                       n.first_seq, e.timestamp, e.seq_id, n.next_at, n.next_seq
                from {_events} e join statement_events n using (seq_id)
                where e.type <> @retracted)
            insert into {target} (statement_id, version, party, issue, stance, speaker, quote, stated_at, stated_on_date,
                conditions, source, claimed_by, claimed_by_speaker, statement_seq, recorded_from, recorded_from_seq,
                recorded_to, recorded_to_seq, search)
            select statement_id, version, c ->> 'party', c ->> 'issue', lower(c ->> 'stance'), c ->> 'speaker', c ->> 'quote',
                   (c ->> 'statedAt')::timestamptz, (c ->> 'statedOnDate')::boolean,
                   coalesce(c -> 'conditions', '[]'::jsonb), c -> 'source', c -> 'claimedBy' ->> 'party', c -> 'claimedBy' ->> 'speaker',
                   first_seq, timestamp, seq_id, next_at, next_seq,
                   to_tsvector('english', (c ->> 'quote') || ' ' || (c ->> 'speaker'))
            from revisions
            on conflict do nothing
            """, connection, tx);
        command.Parameters.AddWithValue("types", _types);
        command.Parameters.AddWithValue("corrected", _types[1]);
        command.Parameters.AddWithValue("retracted", _types[2]);
        return command;
    }

    private static string TypeName<T>(IDocumentStore store) => ((DocumentStore)store).Events.EventMappingFor(typeof(T)).EventTypeName;
}
