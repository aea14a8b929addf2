//! End-to-end tests over HTTP. Run with `infra/test.sh` (it starts the emulator).

mod api_keys;
mod isolation;
mod lambda_adapter;
mod limits;
mod planner_clusters;
mod planner_csv;
mod planner_ideas;
mod planner_keywords;
mod roles;
mod sessions;
mod template;
mod validation;
mod writer_content;
mod writer_images;
mod writer_tasks;
mod writer_taxonomies;
