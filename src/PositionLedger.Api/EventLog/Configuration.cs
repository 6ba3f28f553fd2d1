using Marten;

namespace PositionLedger.EventLog;

public static class Configuration
{
    public static IServiceCollection AddEventLog(this IServiceCollection services) => services
        .AddSingleton<LiveEventHub>()
        .AddHostedService(services => services.GetRequiredService<LiveEventHub>());

    public static StoreOptions AddEventLog(this StoreOptions options)
    {
        options.Listeners.Add(new LiveEventHub.NotifyOnAppend());
        return options;
    }
}
