//! Reports people read: the HTML page and its charts.
pub mod charts;
pub mod compare_html;
pub mod html;
pub mod marks;
pub mod plan_html;
