using System.Data.Common;
using Marten;
using Weasel.Core;
using Weasel.Storage;

namespace PositionLedger.Infrastructure;

/// <summary>
/// SQL for a Marten session's batch with <c>?</c> placeholders, as <c>QueueSqlCommand</c> takes it, except
/// that Npgsql infers each parameter's type: Weasel 9.49, which <c>QueueSqlCommand</c> asks, searches all
/// of Npgsql's type mappings again for every array parameter on every call (see docs/benchmarks.md, B1).
/// The SQL is split at its placeholders once. It implements Marten's operation interface, which lives in
/// <c>Marten.Internal</c> and may change with an upgrade; the projection tests cover it.
/// </summary>
public sealed class BatchedSql(string sql)
{
    private readonly string[] _fragments = sql.TrimEnd().TrimEnd(';').Split('?');

    /// <summary>The SQL with Npgsql's positional placeholders ($1, $2, ...), to run on a connection of one's own.</summary>
    public string Sql => string.Concat(_fragments.Select((f, i) => i == 0 ? f : $"${i}{f}"));

    /// <summary>Queues the SQL with one value per placeholder, in order.</summary>
    public void QueueIn(IDocumentOperations operations, params object?[] values)
    {
        if (values.Length != _fragments.Length - 1)
            throw new ArgumentException($"The SQL has {_fragments.Length - 1} placeholders, not {values.Length}.", nameof(values));
        operations.QueueOperation(new Operation(_fragments, values));
    }

    private sealed class Operation(string[] fragments, object?[] values) : Marten.Internal.Operations.IStorageOperation, NoDataReturnedCall
    {
        // What Marten's own SQL commands name: no document storage to look up or create.
        public Type DocumentType => typeof(Marten.Storage.StorageFeatures);

        // Not a document write: Marten leaves it where it was queued.
        public OperationRole Role() => OperationRole.Other;

        public void ConfigureCommand(Weasel.Postgresql.ICommandBuilder builder, IStorageSession session)
        {
            builder.Append(fragments[0]);
            for (var i = 0; i < values.Length; i++)
            {
                builder.AppendParameter(values[i] ?? DBNull.Value);
                builder.Append(fragments[i + 1]);
            }
        }

        public Task PostprocessAsync(DbDataReader reader, IList<Exception> exceptions, CancellationToken token) => Task.CompletedTask;
    }
}
