using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using PositionLedger.Statements;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Activity;

public sealed record ActivityTable(string QualifiedName);

/// <summary>
/// What the newsroom recorded each day (record time): statements, claims, corrections, retractions.
/// Asynchronous: it runs in the async daemon, on exactly one node when several share the database
/// (Wolverine's leader election assigns it), and catches up after a restart or a failover. The counts
/// move in the same transaction as the daemon's progress, so a page is never counted twice.
/// </summary>
public sealed partial class LedgerActivityProjection : EventProjection
{
    public const string ProjectionName = "LedgerActivity";
    public const string TableName = "pl_ledger_activity";

    private readonly string _table;

    public LedgerActivityProjection(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<DateOnly>("day").AsPrimaryKey();
        table.AddColumn<long>("stated").NotNull().DefaultValue(0);
        table.AddColumn<long>("claims").NotNull().DefaultValue(0);
        table.AddColumn<long>("corrected").NotNull().DefaultValue(0);
        table.AddColumn<long>("retracted").NotNull().DefaultValue(0);
        _table = table.Identifier.QualifiedName;
        SchemaObjects.Add(table);
        Options.DeleteDataInTableOnTeardown(_table);
        Options.BatchSize = 5_000;
        Options.MaximumHopperSize = 50_000;
        Name = ProjectionName;
    }

    public void Project(IEvent<PositionStated> e, IDocumentOperations ops) =>
        Count(ops, e, e.Data.Content.IsClaim ? "claims" : "stated");

    public void Project(IEvent<StatementCorrected> e, IDocumentOperations ops) => Count(ops, e, "corrected");

    public void Project(IEvent<StatementRetracted> e, IDocumentOperations ops) => Count(ops, e, "retracted");

    private void Count(IDocumentOperations ops, IEvent e, string column) =>
        ops.QueueSqlCommand(
            $"insert into {_table} (day, {column}) values (?, 1) on conflict (day) do update set {column} = {_table}.{column} + 1",
            DateOnly.FromDateTime(e.Timestamp.UtcDateTime));
}
