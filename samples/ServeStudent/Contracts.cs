namespace ServeStudent;

/// <summary>The body of POST /predict: one image's 784 pixels in [0, 1].</summary>
public sealed record PredictRequest(float[]? Features);

/// <summary>The answer: the engine that ran, the predicted class (0-9) and the class probabilities.</summary>
public sealed record PredictResponse(string Engine, int PredictedClass, float[] Probabilities);

/// <summary>The answer of GET /health.</summary>
public sealed record HealthResponse(string Status, IReadOnlyList<string> Engines, int Features, string StudentDirectory);

/// <summary>A 400 answer's message.</summary>
public sealed record ErrorResponse(string Error);
