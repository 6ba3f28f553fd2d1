using Marten;
using Marten.Services;
using Npgsql;
using SessionOptions = Marten.Services.SessionOptions;

namespace PositionLedger.Infrastructure;

/// <summary>
/// Lightweight sessions, except within a request that carries an idempotency key: there the session appends
/// in the request's own transaction (<see cref="Idempotency"/>), which commits the key, the events and the
/// stored response together. Marten's SaveChanges then writes without committing.
/// </summary>
public sealed class RequestTransactionSessions(IDocumentStore store, IHttpContextAccessor http) : SessionFactoryBase(store)
{
    public override SessionOptions BuildOptions()
    {
        var options = http.HttpContext?.Items[Idempotency.TransactionItem] is NpgsqlTransaction tx
            ? SessionOptions.ForTransaction(tx)
            : new SessionOptions();
        options.Tracking = DocumentTracking.None;
        return options;
    }
}
