using JasperFx.Events.Projections;
using Marten;

namespace PositionLedger.Statements;

public static class Configuration
{
    public static StoreOptions AddStatements(this StoreOptions options)
    {
        options.Projections.Snapshot<Statement>(SnapshotLifecycle.Inline);
        return options;
    }
}
