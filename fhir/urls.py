from django.urls import path

from fhir import views

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    path("<str:resource_type>/$<str:operation>", views.OperationView.as_view(), name="fhir-operation"),
    path("<str:resource_type>", views.TypeView.as_view(), name="fhir-type"),
    path("<str:resource_type>/<str:ident>", views.InstanceView.as_view(), name="fhir-instance"),
]
urlpatterns.append(path("<path:rest>", views.UnknownView.as_view(), name="fhir-unknown"))
