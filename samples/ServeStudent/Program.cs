// Serves a distilled student over HTTP, three ways side by side, plus the teacher it was distilled from:
//   engine=zip           the student's ML.NET .zip, through pooled PredictionEngines (a PredictionEngine is not thread-safe)
//   engine=onnx          the student's .onnx, through one ONNX Runtime InferenceSession (thread-safe)
//   engine=teacher-zip   the teacher saved as an ML.NET model, through pooled PredictionEngines
//   engine=teacher-onnx  the teacher's .onnx through ONNX Runtime, as the student's
// On first start it distills the student (an MLP, 784-64-10, from the embedded CNN teacher on --rows images) into
// --student-dir; later starts load it. Run from any folder:
//   dotnet run --project samples/ServeStudent -- --urls http://127.0.0.1:5000 [--student-dir DIR] [--rows 5000]
//   curl http://127.0.0.1:5000/health
//   curl -X POST 'http://127.0.0.1:5000/predict?engine=onnx' -H 'Content-Type: application/json' -d '{"features":[0,0,...784 values]}'
using System.Globalization;
using ServeStudent;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
string directory = Path.GetFullPath(builder.Configuration["student-dir"] ?? "served-student");
int rows = int.Parse(builder.Configuration["rows"] ?? "5000", CultureInfo.InvariantCulture);
var files = StudentFiles.LoadOrDistill(directory, rows);
using var models = new ServedModels(files);
var app = builder.Build();

app.MapGet("/health", () => Results.Ok(new HealthResponse("ok", ServedModels.Engines, ServedModels.FeatureCount, files.Directory)));
app.MapPost("/predict", (PredictRequest request, string? engine) =>
{
    string name = engine ?? "zip";
    if (!ServedModels.Engines.Contains(name))
    {
        return Results.BadRequest(new ErrorResponse($"Unknown engine '{name}': use one of {string.Join(", ", ServedModels.Engines)}."));
    }

    if (request.Features is not { Length: ServedModels.FeatureCount })
    {
        return Results.BadRequest(new ErrorResponse($"'features' holds {request.Features?.Length ?? 0} values; the models take {ServedModels.FeatureCount} (a 28x28 image, pixels in [0, 1])."));
    }

    float[] probabilities = models.Predict(name, request.Features);
    return Results.Ok(new PredictResponse(name, ServedModels.ArgMax(probabilities), probabilities));
});

app.Run();
