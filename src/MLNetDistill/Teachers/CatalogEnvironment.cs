using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetDistill.Teachers;

/// <summary>
/// Writes warnings to the <see cref="MLContext.Log"/> of the MLContext behind an ML.NET catalog. ML.NET keeps both the
/// catalog's environment and the channel's message methods internal, so they are found once through reflection;
/// when that fails (a future ML.NET), the warning still goes to <see cref="System.Diagnostics.Trace"/>.
/// </summary>
internal static class CatalogEnvironment
{
    private static readonly PropertyInfo? EnvironmentProperty = typeof(TransformsCatalog).Assembly
        .GetType("Microsoft.ML.Data.IInternalCatalog")?.GetProperty("Environment");

    private static readonly MethodInfo? WarningMethod = typeof(IChannel).Assembly
        .GetType("Microsoft.ML.Runtime.HostExtensions")?.GetMethod("Warning", [typeof(IChannel), typeof(string)]);

    public static IHostEnvironment? Get(object catalog) => EnvironmentProperty?.GetValue(catalog) as IHostEnvironment;

    public static void Warn(object catalog, string message)
    {
        if (Get(catalog) is { } env && WarningMethod is not null)
        {
            using var channel = env.Start("MLNetDistill");
            WarningMethod.Invoke(null, [channel, message]);
        }

        System.Diagnostics.Trace.TraceWarning(message);
    }
}
