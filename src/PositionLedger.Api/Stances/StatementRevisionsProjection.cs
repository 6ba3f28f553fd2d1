using System.Text.Json;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using PositionLedger.Statements;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Stances;

/// <summary>The qualified name of the bitemporal revision table, for the queries that read it.</summary>
public sealed record RevisionTable(string QualifiedName);

/// <summary>
/// The bitemporal table: one row per revision of a statement, valid in record time from the event that
/// made it (recorded_from) until the event that replaced or retracted it (recorded_to). An as-of query
/// is then an index walk per (party, issue) instead of a replay. Inline, so a write is visible to the
/// next read; rebuildable, because the table is emptied on teardown.
/// </summary>
public sealed partial class StatementRevisionsProjection : EventProjection
{
    public const string TableName = "pl_statement_revisions";

    private readonly string _table;

    public StatementRevisionsProjection(string schema)
    {
        var table = DefineTable(schema);
        _table = table.Identifier.QualifiedName;
        SchemaObjects.Add(table);
        Options.DeleteDataInTableOnTeardown(_table);
    }

    public static Table DefineTable(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<Guid>("statement_id").AsPrimaryKey();
        table.AddColumn<long>("version").AsPrimaryKey();
        table.AddColumn<string>("party").NotNull();
        table.AddColumn<string>("issue").NotNull();
        table.AddColumn<string>("stance").NotNull();
        table.AddColumn<string>("speaker").NotNull();
        table.AddColumn<string>("quote").NotNull();
        table.AddColumn<DateTimeOffset>("stated_at").NotNull();
        table.AddColumn<bool>("stated_on_date").NotNull();
        table.AddColumn("conditions", "jsonb").NotNull();
        table.AddColumn("source", "jsonb").NotNull();
        table.AddColumn<string>("claimed_by");
        table.AddColumn<string>("claimed_by_speaker");
        // The sequence of the statement's first event: ties on statedAt go to the statement recorded later.
        table.AddColumn<long>("statement_seq").NotNull();
        table.AddColumn<DateTimeOffset>("recorded_from").NotNull();
        table.AddColumn<long>("recorded_from_seq").NotNull();
        table.AddColumn<DateTimeOffset>("recorded_to");
        table.AddColumn<long>("recorded_to_seq");
        // Nullable so that Weasel can add it to a table made by an earlier version; a rebuild fills it.
        table.AddColumn("search", "tsvector");

        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_basis")
        {
            Columns = ["party", "issue", "stated_at", "statement_seq"],
            Predicate = "claimed_by is null",
        });
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_claims")
        {
            Columns = ["party", "issue", "stated_at"],
            Predicate = "claimed_by is not null",
        });
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_timeline") { Columns = ["stated_at", "statement_seq"] });
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_search") { Columns = ["search"], Method = IndexMethod.gin });
        return table;
    }

    public void Project(IEvent<PositionStated> e, IDocumentOperations ops) =>
        Insert(ops, e, e.Data.StatementId, e.Data.Content, statementSeq: e.Sequence);

    public void Project(IEvent<StatementCorrected> e, IDocumentOperations ops)
    {
        Close(ops, e, e.Data.StatementId);
        Insert(ops, e, e.Data.StatementId, e.Data.Corrected, statementSeq: null);
    }

    public void Project(IEvent<StatementRetracted> e, IDocumentOperations ops) =>
        Close(ops, e, e.Data.StatementId);

    private void Close(IDocumentOperations ops, IEvent e, Guid statementId) =>
        ops.QueueSqlCommand(
            $"update {_table} set recorded_to = ?, recorded_to_seq = ? where statement_id = ? and recorded_to is null",
            e.Timestamp.ToUniversalTime(), e.Sequence, statementId);

    /// <summary>A correction keeps the statement's first sequence, read from the revision it replaces.</summary>
    private void Insert(IDocumentOperations ops, IEvent e, Guid statementId, StatementContent c, long? statementSeq)
    {
        var seq = statementSeq is null
            ? $"(select min(statement_seq) from {_table} where statement_id = ?)"
            : "?";
        ops.QueueSqlCommand(
            $"""
            insert into {_table} (statement_id, version, party, issue, stance, speaker, quote, stated_at, stated_on_date,
                conditions, source, claimed_by, claimed_by_speaker, statement_seq, recorded_from, recorded_from_seq, search)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, {seq}, ?, ?, to_tsvector('english', ?))
            """,
            statementId, e.Version, c.Party, c.Issue, c.Stance.Word(), c.Speaker, c.Quote, c.StatedAt.ToUniversalTime(), c.StatedOnDate,
            JsonSerializer.Serialize(c.Conditions), JsonSerializer.Serialize(c.Source, JsonSerializerOptions.Web),
            c.ClaimedBy?.Party!, c.ClaimedBy?.Speaker!, statementSeq is null ? statementId : statementSeq.Value,
            e.Timestamp.ToUniversalTime(), e.Sequence, $"{c.Quote} {c.Speaker}");
    }
}
