"""`tierguard observe`: recorded flows evaluated by the engine, aggregated into a service graph.

Pipeline: `build.build_model` (pure: evaluator + flow records + inventory -> `ObserveModel`),
`layout.layout` (pure: positions for the SVG), then one formatter per output format
(`formats.formatters()`: text, json, html), each `render(model) -> str`.
"""
