mod account;
mod audit;
mod clusters;
mod home;
mod login;
mod not_found;
mod tenant;
mod tenants;
mod users;

pub use account::AccountPage;
pub use audit::AuditPage;
pub use clusters::{ClusterPage, ClustersPage};
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use tenant::TenantPage;
pub use tenants::TenantsPage;
pub use users::UsersPage;
