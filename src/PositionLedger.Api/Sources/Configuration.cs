using JasperFx.Events.Projections;
using Marten;
using PositionLedger.Infrastructure;

namespace PositionLedger.Sources;

public static class Configuration
{
    public static IServiceCollection AddSources(this IServiceCollection services) =>
        services.AddSingleton<RegisterSource.Validator>().AddSingleton<SourceTexts>()
            .Configure<OpenApiContributions>(openApi =>
            {
                openApi.Vocabularies.Add(new("evidenceKind", null, EvidenceKinds.All));
                openApi.Vocabularies.Add(new("kind", "anchors", EvidenceKinds.Given));
            });

    public static StoreOptions AddSources(this StoreOptions options)
    {
        options.Projections.Add(new ArchivedSourceProjection(), ProjectionLifecycle.Inline);
        return options;
    }

    /// <summary>A source's text may be up to 2 MB, over the 1 MiB of any other write: its route's own body limit.</summary>
    public static IApplicationBuilder UseSourceBodyLimit(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(RegisterSourceEndpoint.Route)
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = RegisterSource.MaxBodyBytes;
            return next(context);
        });
}
