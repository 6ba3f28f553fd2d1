using JasperFx.Events.Projections;
using Marten;

namespace PositionLedger.Stances;

public static class Configuration
{
    public static StoreOptions AddStances(this StoreOptions options)
    {
        options.Projections.Add(new StatementRevisionsProjection(options.DatabaseSchemaName), ProjectionLifecycle.Inline);
        return options;
    }
}
