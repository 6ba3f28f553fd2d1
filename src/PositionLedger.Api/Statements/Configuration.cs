using Marten;

namespace PositionLedger.Statements;

public static class Configuration
{
    public static IServiceCollection AddStatements(this IServiceCollection services) =>
        services
            .AddSingleton<StateStatement.Validator>()
            .AddSingleton<StatementReferences>();

    /// <summary>
    /// A statement's stream is a handful of events, so the aggregate is folded live when needed
    /// (GET, corrections) rather than stored: appends and imports write one row less per statement.
    /// </summary>
    public static StoreOptions AddStatements(this StoreOptions options)
    {
        options.Projections.LiveStreamAggregation<Statement>();
        return options;
    }
}
