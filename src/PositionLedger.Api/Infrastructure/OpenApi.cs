using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Wolverine.Http;

namespace PositionLedger.Infrastructure;

/// <summary>
/// The OpenAPI document at /openapi/v1.json: ASP.NET's own generator over the Wolverine endpoints, plus
/// the Bearer scheme and the problem responses every route can give.
/// </summary>
public static class OpenApi
{
    public static IServiceCollection AddPositionLedgerOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "PositionLedger";
                document.Info.Description = "Event-sourced tracker of stated positions in negotiations, "
                    + "with as-of (valid time) and known-at (record time) queries.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyAuthentication.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key from the Auth:ApiKeys configuration; writes need the editor role.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                operation.Responses ??= new OpenApiResponses();
                if (metadata.OfType<IAuthorizeData>().Any())
                {
                    (operation.Security ??= []).Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.SchemeName, context.Document)] = [],
                    });
                    operation.Responses.TryAdd("401", Problem("No API key, or an unknown one."));
                    operation.Responses.TryAdd("403", Problem("The key's role may not do this."));
                }
                if (metadata.OfType<EnableRateLimitingAttribute>().Any())
                    operation.Responses.TryAdd("429", Problem("Too many writes for this key; see Retry-After."));
                var route = context.Description.RelativePath ?? "";
                if (route.Contains('{')) operation.Responses.TryAdd("404", Problem("No such party, issue or statement."));
                if (context.Description.HttpMethod == "POST")
                {
                    operation.Responses.TryAdd("409", Problem("Conflict: the id exists, or the statement changed since expectedVersion."));
                    operation.Responses.TryAdd("413", Problem("The body is too large."));
                    operation.Responses.TryAdd("415", Problem("The body must be application/json."));
                    operation.Responses.TryAdd("422", Problem("The Idempotency-Key was used for another request."));
                }
                operation.Responses.TryAdd("503", Problem("The database is unavailable."));
                if (operation.RequestBody is null && metadata.OfType<RequestBodyAttribute>().FirstOrDefault() is { } body)
                    operation.RequestBody = body.Describe(context.Document);
                return Task.CompletedTask;
            });
        });

    private static OpenApiResponse Problem(string description) => new() { Description = description };

    /// <summary>An IResult endpoint gets a meaningless "200 IResult" entry from the generator; drop it.</summary>
    public static void DropUntypedResults(HttpChain chain) =>
        chain.Finally(endpoint =>
        {
            foreach (var produces in endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().Where(m => m.Type == typeof(IResult)).ToList())
                endpoint.Metadata.Remove(produces);
        });
}

/// <summary>
/// An endpoint that reads its body as a stream describes that body itself (the generator cannot see its shape),
/// with an attribute deriving from this one on its method.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public abstract class RequestBodyAttribute : Attribute
{
    public abstract OpenApiRequestBody Describe(OpenApiDocument? document);
}
