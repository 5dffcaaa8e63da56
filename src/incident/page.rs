//! The page itself: the report's data put through an HTML template (minijinja, auto-escaping), with the
//! charts inline and the data also embedded as JSON, so the file opens offline in any browser.

use anyhow::Context;
use minijinja::{Environment, context};
use serde_json::Value;

const TEMPLATE: &str = include_str!("template.html");

/// JSON that can sit inside a `<script>` element.
fn script_json(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}

/// The whole HTML document.
pub fn render(data: &Value, timeline_svg: &str, heat_svg: &str) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .context("the report template")?;
    let page = env.get_template("report.html").context("the report template")?;
    page.render(context! {
        d => data,
        timeline => minijinja::Value::from_safe_string(timeline_svg.to_string()),
        heat => minijinja::Value::from_safe_string(heat_svg.to_string()),
        data_json => minijinja::Value::from_safe_string(script_json(data)),
    })
    .context("rendering the report")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_close_its_script_element() {
        let v = serde_json::json!({"x": "</script><img src=x>"});
        assert!(!script_json(&v).contains("</script>"));
    }

    #[test]
    fn values_are_escaped() {
        let data = serde_json::json!({"findings": 0, "glance": {}, "run": {"command": "<b>x</b>"}, "sections": [], "by_level": [],
            "top_rules": [], "top_actors": [], "top_ips": [], "top_agents": []});
        let html = render(&data, "<svg></svg>", "<svg></svg>").unwrap();
        assert!(html.contains("&lt;b&gt;x") && !html.contains("<b>x</b>"));
        assert!(html.contains("<svg></svg>"));
    }
}
