using JasperFx.Events.Projections;
using Marten;

namespace PositionLedger.Activity;

public static class Configuration
{
    public static StoreOptions AddActivity(this StoreOptions options)
    {
        options.Projections.Add(new LedgerActivityProjection(options.DatabaseSchemaName), ProjectionLifecycle.Async);
        return options;
    }
}
