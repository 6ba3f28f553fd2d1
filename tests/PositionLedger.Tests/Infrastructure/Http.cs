using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace PositionLedger.Tests.Infrastructure;

public static class Http
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonObject> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>A 400 whose errors map names the field.</summary>
    public static async Task ShouldNameFieldAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]?.AsObject();
        errors.ShouldNotBeNull(problem.ToJsonString());
        errors.Select(e => e.Key).ShouldContain(field, problem.ToJsonString());
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        response.StatusCode.ShouldBe(status, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }
}
