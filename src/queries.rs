//! placeholder until the named-query module lands
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct QueryError;
pub struct QueryParam {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
    pub integer: bool,
}
pub struct NamedQuery {
    pub name: &'static str,
    pub title: String,
    pub description: String,
    pub params: Vec<QueryParam>,
    pub sql: &'static str,
}
pub fn all() -> Vec<NamedQuery> {
    vec![]
}
pub fn find(_: &str) -> Result<NamedQuery, QueryError> {
    Err(QueryError)
}
pub fn parse_param(_: &str) -> Result<(String, String), QueryError> {
    Err(QueryError)
}
impl NamedQuery {
    pub fn render(&self, _: &[(String, String)]) -> Result<String, QueryError> {
        Err(QueryError)
    }
}
