using Marten;
using Microsoft.OpenApi;
using PositionLedger.Infrastructure;

namespace PositionLedger.Statements;

public static class Configuration
{
    public static IServiceCollection AddStatements(this IServiceCollection services) =>
        services
            .AddSingleton<StateStatement.Validator>()
            .AddSingleton<StatementReferences>()
            .Configure<OpenApiContributions>(openApi =>
            {
                openApi.Vocabularies.Add(new("stance", null, [.. StanceWords.ByWord.Keys]));
                openApi.Vocabularies.Add(
                    new("resolution", null, [ClaimResolutions.BorneOut, ClaimResolutions.Contradicted, ClaimResolutions.Open]));
                // Without a quote, a statement's evidence gives it (its first anchor's exact words).
                openApi.Schemas.Add((_, schemas) =>
                {
                    if (!schemas.TryGetValue(nameof(StateStatement), out var found) || found is not OpenApiSchema statement) return;
                    statement.Required?.Remove("quote");
                    statement.AnyOf = [OpenApi.Requiring("quote"), OpenApi.Requiring("evidence")];
                    if (statement.Properties?.TryGetValue("quote", out var quote) == true && quote is OpenApiSchema text)
                        text.Description = "The words; may be left out when evidence is given: its first anchor's exact text.";
                });
            });

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
