using Npgsql;

namespace PositionLedger.Infrastructure;

/// <summary>
/// The app's four connection pools, each with the planner and buffer settings its queries need:
/// <list type="bullet">
/// <item><b>The app's pool</b> (<see cref="NpgsqlDataSource"/>): the app's own SQL (timelines, search, imports,
/// rebuilds, health), on the server's planner settings, where parallel workers help a search for a common word.</item>
/// <item><b>Marten's pool</b> (<see cref="Pools.Marten"/>): sessions and the async daemon, without parallel scans.</item>
/// <item><b><see cref="StanceDataSource"/></b>: the stance query, always on PostgreSQL's generic plan.</item>
/// <item><b><see cref="ExportDataSource"/></b>: the event-log export, with a large read buffer.</item>
/// </list>
/// The two small pools hold at most 20 connections each, so that all of them stay within the server's connections.
/// </summary>
public static class ConnectionPools
{
    /// <param name="App">The app's own SQL; also registered as the container's <see cref="NpgsqlDataSource"/>.</param>
    /// <param name="Marten">Marten's sessions and async daemon.</param>
    public sealed record Pools(NpgsqlDataSource App, NpgsqlDataSource Marten);

    public static Pools AddConnectionPools(this IServiceCollection services, string connectionString, IConfiguration configuration)
    {
        var npgsql = new NpgsqlDataSourceBuilder(connectionString);
        // The same few queries run all day (stances, appends): let Npgsql prepare them on the server once
        // they repeat, so PostgreSQL stops planning them on every call. A connection string may override it.
        if (npgsql.ConnectionStringBuilder.MaxAutoPrepare == 0) npgsql.ConnectionStringBuilder.MaxAutoPrepare = 64;
        var app = npgsql.Build();
        // Marten's own pool. Its async daemon joins each page of events to mt_streams, and PostgreSQL's default
        // costs planned that as a parallel scan of every stream (docs/benchmarks.md, B6); what else Marten runs
        // here reads rows by key. Startup options override the server's; prepended, so that the connection
        // string's own Options (or PGOPTIONS) still win.
        var givenOptions = npgsql.ConnectionStringBuilder.Options ?? Environment.GetEnvironmentVariable("PGOPTIONS");
        npgsql.ConnectionStringBuilder.Options = $"-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0 {givenOptions}".Trim();
        var marten = npgsql.Build();

        services.AddSingleton(app);
        // Made by a factory, so that the container disposes them (and their pools) with the app.
        services.AddSingleton(_ => StanceDataSource.For(connectionString));
        services.AddSingleton(_ =>
            ExportDataSource.For(connectionString, configuration.GetValue(ExportDataSource.ReadBufferSetting, 1 << 20)));
        return new Pools(app, marten);
    }
}

/// <summary>
/// Connections for the stance query, which always uses PostgreSQL's generic plan: its arrays of parties and
/// issues make every custom plan look cheaper, so by default PostgreSQL would re-plan it on every call
/// (about 1 ms, more than the query itself at any size). Its own pool, so no other query is affected.
/// </summary>
public sealed class StanceDataSource(NpgsqlDataSource value) : IDisposable
{
    public NpgsqlDataSource Value { get; } = value;

    public static StanceDataSource For(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options =
            $"{builder.Options ?? Environment.GetEnvironmentVariable("PGOPTIONS")} -c plan_cache_mode=force_generic_plan".Trim();
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 16;
        // A second pool: kept small, so that the two together stay within the server's connections.
        builder.MaxPoolSize = Math.Min(builder.MaxPoolSize, 20);
        return new StanceDataSource(NpgsqlDataSource.Create(builder));
    }

    public void Dispose() => Value.Dispose();
}

/// <summary>
/// The export's own pool: its connections read megabytes per chunk, so they get a large read buffer (fewer
/// socket reads, each one a wake-up of the app); the rest of the app keeps Npgsql's small default.
/// </summary>
public sealed class ExportDataSource(NpgsqlDataSource value) : IDisposable
{
    /// <summary>The read buffer of the export's connections, in bytes (1 MB unless set).</summary>
    public const string ReadBufferSetting = "PositionLedger:ExportReadBufferBytes";

    public NpgsqlDataSource Value { get; } = value;

    public static ExportDataSource For(string connectionString, int readBufferBytes)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { ReadBufferSize = readBufferBytes };
        // Each export holds two connections: room for ten at once, without the main pool's size.
        builder.MaxPoolSize = Math.Min(builder.MaxPoolSize, 20);
        return new ExportDataSource(NpgsqlDataSource.Create(builder));
    }

    public void Dispose() => Value.Dispose();
}
