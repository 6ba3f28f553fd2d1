using System.Net;
using Npgsql;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Operations;

public sealed class when_the_database_goes_away
{
    [Fact]
    public async Task every_route_answers_503_problem_details_and_recovers_without_a_restart()
    {
        var real = new NpgsqlConnectionStringBuilder(await TestDatabase.ConnectionStringAsync());
        await using var proxy = new TcpProxy(real.Host!, real.Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(real.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3 };
        await using var app = AppFixture.WithConnectionString(viaProxy.ConnectionString);
        await ((IAsyncLifetime)app).InitializeAsync();
        (await app.Client.PostAsync("/api/parties", Json("""{"id":"russia","name":"Russia"}""")))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await app.Anonymous.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

        proxy.Cut();

        (await app.Anonymous.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Anonymous.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        foreach (var url in new[] { "/api/parties", "/api/stances", "/api/parties/russia/stance", "/api/timeline", "/api/events" })
        {
            var response = await app.Anonymous.GetAsync(url);
            await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        }
        await (await app.Client.PostAsync("/api/parties", Json("""{"id":"ukraine","name":"Ukraine"}""")))
            .ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);

        proxy.Restore();

        (await app.Anonymous.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Client.PostAsync("/api/parties", Json("""{"id":"ukraine","name":"Ukraine"}""")))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await app.Anonymous.GetAsync("/api/stances")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
}
