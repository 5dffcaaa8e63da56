//! The report's charts, drawn as inline SVG with plotters (no scripts, no network): findings per hour
//! stacked by level with the windows no digest chain covers shaded, and findings per account and day.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::anyhow;
use chrono::DateTime;
use plotters::prelude::*;

/// Colours of the levels, most severe first (as [`super::LEVELS`]).
pub const LEVEL_COLOURS: [RGBColor; 5] = [
    RGBColor(127, 0, 50),
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(31, 119, 180),
    RGBColor(150, 150, 150),
];

fn err(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("drawing a chart failed: {e:?}")
}

fn hour_label(hour: &i64) -> String {
    DateTime::from_timestamp(hour * 3600, 0)
        .map(|t| t.format("%m-%d %H:00").to_string())
        .unwrap_or_default()
}

/// Findings per hour, stacked by level; `shaded` windows (seconds since the epoch) drawn behind.
pub fn timeline(hourly: &BTreeMap<i64, [u64; 5]>, shaded: &[(i64, i64, String)]) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 280)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let hours: Vec<i64> = hourly.keys().map(|s| s / 3600).collect();
        let (lo, hi) = match (hours.first(), hours.last()) {
            (Some(a), Some(b)) => (*a - 1, *b + 2),
            _ => (0, 24),
        };
        let top = hourly
            .values()
            .map(|v| v.iter().sum::<u64>())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(lo..hi, 0u64..top + top / 10 + 1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&hour_label)
            .y_desc("findings")
            .draw()
            .map_err(err)?;
        let ceiling = top + top / 10 + 1;
        chart
            .draw_series(shaded.iter().map(|(a, b, _)| {
                let (a, b) = ((a / 3600).clamp(lo, hi), (b / 3600 + 1).clamp(lo, hi));
                Rectangle::new([(a, 0), (b, ceiling)], RGBColor(225, 225, 240).filled())
            }))
            .map_err(err)?;
        for (i, colour) in LEVEL_COLOURS.iter().enumerate().rev() {
            let bars = hourly.iter().filter(|(_, v)| v[i] > 0).map(|(s, v)| {
                let h = s / 3600;
                // Stacked: less severe levels below, this level on top of them.
                let below: u64 = v[i + 1..].iter().sum();
                Rectangle::new([(h, below), (h + 1, below + v[i])], colour.filled())
            });
            chart.draw_series(bars).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Findings per account (rows) and day (columns), darker where there are more.
pub fn heat_map(cells: &BTreeMap<(String, String), u64>) -> anyhow::Result<String> {
    let accounts: Vec<&String> = cells
        .keys()
        .map(|(a, _)| a)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let days: Vec<&String> = cells
        .keys()
        .map(|(_, d)| d)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (w, h) = (960u32, 60 + 34 * accounts.len().max(1) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(110)
            .build_cartesian_2d(0..days.len().max(1) as i32, 0..accounts.len().max(1) as i32)
            .map_err(err)?;
        let day_label = |i: &i32| days.get(*i as usize).map(|d| d.to_string()).unwrap_or_default();
        let account_label = |i: &i32| {
            accounts
                .get(*i as usize)
                .map(|a| a.to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(days.len().max(1))
            .y_labels(accounts.len().max(1))
            .x_label_formatter(&day_label)
            .y_label_formatter(&account_label)
            .draw()
            .map_err(err)?;
        let most = cells.values().copied().max().unwrap_or(1).max(1) as f64;
        chart
            .draw_series(cells.iter().map(|((a, d), n)| {
                let x = days.iter().position(|x| *x == d).unwrap_or(0) as i32;
                let y = accounts.iter().position(|x| *x == a).unwrap_or(0) as i32;
                let shade = 1.0 - (*n as f64 / most) * 0.85;
                let c = RGBColor(
                    (214.0 + 41.0 * shade) as u8,
                    (39.0 + 216.0 * shade) as u8,
                    (40.0 + 215.0 * shade) as u8,
                );
                Rectangle::new([(x, y), (x + 1, y + 1)], c.filled())
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
