using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Contract;

public sealed class when_reading_the_api_description(AppFixture app) : ApiTest(app)
{
    private async Task<OpenApiDocument> Document()
    {
        await using var stream = await Client.GetStreamAsync("/openapi/v1.json");
        var (document, diagnostic) = await Microsoft.OpenApi.OpenApiDocument.LoadAsync(stream, "json");
        diagnostic!.Errors.ShouldBeEmpty(string.Join("; ", diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        return document!;
    }

    [Fact]
    public async Task the_openapi_document_validates_and_describes_every_route()
    {
        var document = await Document();

        document.Validate(ValidationRuleSet.GetDefaultRuleSet()).ShouldBeEmpty();
        var routes = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods
                .Select(m => (Method: m, Path: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .ToList();
        routes.Count.ShouldBeGreaterThanOrEqualTo(17);
        foreach (var (method, path) in routes)
        {
            document.Paths.ShouldContainKey(path);
            var operation = document.Paths[path].Operations![HttpMethod.Parse(method)];
            operation.Responses!.Keys.ShouldContain(k => k.StartsWith('2'), $"{method} {path} has no success response");
            if (method == "POST")
            {
                operation.RequestBody.ShouldNotBeNull($"{method} {path}");
                operation.Security.ShouldNotBeNull($"{method} {path}");
                operation.Responses.Keys.ShouldContain("401");
                operation.Responses.Keys.ShouldContain("400");
            }
        }
        document.Components!.SecuritySchemes!.Keys.ShouldContain("Bearer");
        document.Paths["/api/statements"].Operations![HttpMethod.Post].Responses!["201"]
            .Content!["application/json"].Schema.ShouldNotBeNull();
        document.Paths["/api/parties/{party}/stance"].Operations![HttpMethod.Get].Responses!["200"]
            .Content!["application/json"].Schema.ShouldNotBeNull();
    }

    [Fact]
    public async Task the_interactive_reference_is_served_by_the_app_itself()
    {
        var response = await Client.GetAsync("/docs/");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        var external = Regex.Matches(html, "(src|href)=\"(https?:)?//[^\"]+\"").Select(m => m.Value).ToList();
        external.ShouldBeEmpty();
        (await Client.GetAsync("/docs/scalar.js")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
