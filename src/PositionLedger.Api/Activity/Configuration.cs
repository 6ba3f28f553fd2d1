using JasperFx.Events.Projections;
using Marten;

namespace PositionLedger.Activity;

public static class Configuration
{
    public static IServiceCollection AddActivity(this IServiceCollection services, string schema) =>
        services.AddSingleton(new ActivityTable($"{schema}.{LedgerActivityProjection.TableName}"));

    public static StoreOptions AddActivity(this StoreOptions options)
    {
        var table = LedgerActivityProjection.DefineTable(options.DatabaseSchemaName);
        options.Storage.ExtendedSchemaObjects.Add(table);
        options.Projections.Add(
            new LedgerActivityProjection(table.Identifier.QualifiedName),
            ProjectionLifecycle.Async,
            LedgerActivityProjection.ProjectionName,
            daemon =>
            {
                daemon.DeleteDataInTableOnTeardown(table.Identifier.QualifiedName);
                daemon.BatchSize = 5_000;
                daemon.MaximumHopperSize = 50_000;
            });
        return options;
    }
}
