using Marten;

namespace PositionLedger.EventLog;

public static class Configuration
{
    public static IServiceCollection AddEventLog(this IServiceCollection services) => services
        .AddSingleton<LiveEventHub>()
        .AddHostedService(services => services.GetRequiredService<LiveEventHub>())
        .AddSingleton<AppendNotifier>()
        .AddHostedService(services => services.GetRequiredService<AppendNotifier>())
        .ConfigureMarten((services, options) =>
            options.Listeners.Add(new AppendNotifier.AfterAppend(services.GetRequiredService<AppendNotifier>())));
}
